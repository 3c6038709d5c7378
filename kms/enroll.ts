/**
 * `deno task kms:enroll NAME [--role device|operator] [--public-key=B64URL]
 * [--credentials FILE]`: creates a bearer token for an SAE, a device or an
 * operator, stores only its SHA-256 hash, and prints the token once, or with
 * `--credentials` writes it to FILE (mode 0600, its folder 0700) and prints
 * only where. Enrolling again replaces the token and role and forgets the
 * device's bound identity key (unless `--public-key` binds one).
 *
 * `deno task kms:enroll SAE_ID --cert FILE` (or `--cert-fingerprint HEX`)
 * binds a client certificate to the SAE for ETSI 014 over mutual TLS
 * instead: an enrolled device keeps its token; a new one is enrolled for
 * mutual TLS only (no bearer token anyone holds).
 *
 * @module
 */

import { X509Certificate } from "node:crypto";
import { parseArgs, resolve } from "../common/std.ts";
import { normalizeFingerprint } from "../common/tls_peer.ts";
import {
  formatCredentials,
  IDENTITY_PUBLIC_KEY_LENGTH,
  isDeviceId,
  type Role,
} from "../protocol/mod.ts";
import { newToken, tokenHash } from "./auth.ts";
import { DATABASE_FILE } from "./context.ts";
import { bindCertificate, type CertificateBinding } from "./sae_certs.ts";
import { KmsStore } from "./store.ts";

const USAGE = `Usage: deno task kms:enroll [--data DIR] [--role device|operator]
         [--public-key=B64URL] [--credentials FILE] NAME
       deno task kms:enroll [--data DIR] (--cert FILE | --cert-fingerprint HEX) SAE_ID

Creates a bearer token for NAME (1 to 64 characters from A-Z a-z 0-9 _ . -).
The KMS keeps only its SHA-256 hash.

  --role ROLE         device (default: pair keys, relay tickets, ETSI keys)
                      or operator (attack simulation, reset, Eve switches)
  --public-key=KEY    bind the device's Ed25519 identity key (base64url) now;
                      otherwise its first relay ticket request binds it
                      (write it with "=": a base64url key may start with -)
  --credentials FILE  write {device_id, token, role} to FILE (mode 0600)
                      instead of printing the token, e.g.
                      --credentials credentials/NAME.json
  --data DIR          the KMS data directory (env KMS_DATA, default data/kms)

Enrolling again replaces the token and forgets the bound identity key.

  --cert FILE         bind this client certificate (PEM) to SAE_ID for ETSI
                      014 over mutual TLS (port 8443): SAE_ID is then known
                      by its bound certificates only. An enrolled SAE keeps
                      its token; a new one gets none (certificate only).
                      A file outside data/ needs --allow-read=FILE.
  --cert-fingerprint HEX  the same by the certificate's SHA-256 fingerprint
                      (openssl x509 -noout -fingerprint -sha256 -in FILE)`;

const ROLES: readonly Role[] = ["device", "operator"];

/** Writes `text` to `path` readable by its owner only, even if it existed. */
async function writePrivate(path: string, text: string): Promise<void> {
  await Deno.mkdir(resolve(path, ".."), { recursive: true, mode: 0o700 });
  const file = await Deno.open(path, {
    write: true,
    create: true,
    truncate: true,
    mode: 0o600,
  });
  try {
    // mode applies only on creation: an existing file is narrowed before
    // the token goes in.
    await Deno.chmod(path, 0o600);
    await file.write(new TextEncoder().encode(text));
  } finally {
    file.close();
  }
}

function validPublicKey(text: string): boolean {
  try {
    return Uint8Array.fromBase64(text, { alphabet: "base64url" }).length ===
      IDENTITY_PUBLIC_KEY_LENGTH;
  } catch {
    return false;
  }
}

// The binding `--cert FILE` or `--cert-fingerprint HEX` asks for; a
// string is the reason it cannot be made.
async function certificateBinding(
  saeId: string,
  flags: { cert?: string; "cert-fingerprint"?: string },
): Promise<CertificateBinding | string> {
  if (flags.cert !== undefined && flags["cert-fingerprint"] !== undefined) {
    return "give --cert or --cert-fingerprint, not both";
  }
  if (flags["cert-fingerprint"] !== undefined) {
    const fingerprint = normalizeFingerprint(flags["cert-fingerprint"]);
    return fingerprint
      ? { fingerprint, saeId }
      : "--cert-fingerprint must be a SHA-256 fingerprint: 64 hex digits, colons allowed";
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(await Deno.readTextFile(flags.cert!));
  } catch (error) {
    return error instanceof Deno.errors.NotCapable
      ? `no read permission for ${flags.cert}: add --allow-read=${flags.cert}`
      : `${flags.cert} is not a readable PEM certificate: ${
        error instanceof Error ? error.message : error
      }`;
  }
  return {
    fingerprint: normalizeFingerprint(cert.fingerprint256)!,
    saeId,
    subject: cert.subject,
    notAfter: cert.validTo,
  };
}

function enrollCertificate(
  store: KmsStore,
  binding: CertificateBinding,
): string {
  const { saeId } = binding;
  const existing = store.enrollment(saeId);
  if (existing?.role === "operator") {
    throw new Error(`${saeId} is an operator: certificates are for SAEs`);
  }
  if (!existing) {
    // sae_tokens needs a token hash: one of a token nobody is given.
    store.enrollSae(saeId, tokenHash(newToken()), { role: "device" });
  }
  bindCertificate(store, binding);
  store.audit(
    "SAE_CERT_BOUND",
    `sae=${saeId} cert_sha256=${binding.fingerprint}${
      binding.subject ? ` subject=${binding.subject.replaceAll("\n", ",")}` : ""
    }`,
  );
  const what = `certificate sha256 ${binding.fingerprint}${
    binding.subject
      ? ` (${
        binding.subject.replaceAll("\n", ", ")
      }, valid to ${binding.notAfter})`
      : ""
  }`;
  return existing
    ? `Bound ${what} to ${saeId}; its bearer token is unchanged.`
    : `Enrolled ${saeId} (role device) for ETSI 014 over mutual TLS only, ${what}; no bearer token (enroll again without --cert for one).`;
}

async function main(): Promise<number> {
  const flags = parseArgs(Deno.args, {
    string: [
      "data",
      "role",
      "public-key",
      "credentials",
      "cert",
      "cert-fingerprint",
    ],
    boolean: ["help"],
  });
  const [name] = flags._.map(String);
  if (flags.help || flags._.length !== 1 || !isDeviceId(name)) {
    console.error(USAGE);
    return flags.help ? 0 : 2;
  }
  const role = (flags.role ?? "device") as Role;
  if (!ROLES.includes(role)) {
    console.error(`--role must be device or operator, got ${flags.role}`);
    return 2;
  }
  const publicKey = flags["public-key"];
  if (publicKey !== undefined && !validPublicKey(publicKey)) {
    console.error(
      `--public-key must be a ${IDENTITY_PUBLIC_KEY_LENGTH}-byte Ed25519 public key in base64url (write --public-key=KEY: a key may start with -)`,
    );
    return 2;
  }
  const dataDir = flags.data ?? Deno.env.get("KMS_DATA") ?? "data/kms";
  await Deno.mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (flags.cert !== undefined || flags["cert-fingerprint"] !== undefined) {
    if (role !== "device" || publicKey !== undefined || flags.credentials) {
      console.error(
        "--cert and --cert-fingerprint bind a certificate only: no --role, --public-key or --credentials",
      );
      return 2;
    }
    const binding = await certificateBinding(name, flags);
    if (typeof binding === "string") {
      console.error(binding);
      return 2;
    }
    const store = new KmsStore(`${dataDir}/${DATABASE_FILE}`);
    try {
      console.log(enrollCertificate(store, binding));
    } catch (error) {
      console.error(error instanceof Error ? error.message : error);
      return 2;
    } finally {
      store.close();
    }
    return 0;
  }
  const token = newToken();
  if (flags.credentials !== undefined) {
    // Written first: a folder the KMS cannot write to fails before the
    // database holds a token nobody has.
    await writePrivate(
      flags.credentials,
      formatCredentials({ device_id: name, token, role }),
    );
  }
  const store = new KmsStore(`${dataDir}/${DATABASE_FILE}`);
  try {
    store.enrollSae(name, tokenHash(token), { role, publicKey });
    store.audit(
      "SAE_ENROLLED",
      `sae=${name} role=${role} identity_key=${
        publicKey ? "bound" : "unbound"
      }`,
    );
  } finally {
    store.close();
  }
  if (flags.credentials !== undefined) {
    console.log(
      `Enrolled ${name} (role ${role}). Credentials written to ${flags.credentials} (mode 0600).`,
    );
  } else {
    console.log(
      `Enrolled ${name} (role ${role}). Its bearer token (shown once, keep it secret):`,
    );
    console.log(token);
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main());
