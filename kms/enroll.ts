/**
 * `deno task kms:enroll NAME [--role device|operator] [--public-key B64URL]
 * [--credentials FILE]`: creates a bearer token for an SAE, a device or an
 * operator, stores only its SHA-256 hash, and prints the token once, or with
 * `--credentials` writes it to FILE (mode 0600, its folder 0700) and prints
 * only where. Enrolling again replaces the token and role and forgets the
 * device's bound identity key (unless `--public-key` binds one).
 *
 * @module
 */

import { parseArgs, resolve } from "../common/std.ts";
import {
  formatCredentials,
  IDENTITY_PUBLIC_KEY_LENGTH,
  isDeviceId,
  type Role,
} from "../protocol/mod.ts";
import { newToken, tokenHash } from "./auth.ts";
import { DATABASE_FILE } from "./context.ts";
import { KmsStore } from "./store.ts";

const USAGE = `Usage: deno task kms:enroll [--data DIR] [--role device|operator]
         [--public-key B64URL] [--credentials FILE] NAME

Creates a bearer token for NAME (1 to 64 characters from A-Z a-z 0-9 _ . -).
The KMS keeps only its SHA-256 hash.

  --role ROLE         device (default: pair keys, relay tickets, ETSI keys)
                      or operator (attack simulation, reset, Eve switches)
  --public-key KEY    bind the device's Ed25519 identity key (base64url) now;
                      otherwise its first relay ticket request binds it
  --credentials FILE  write {device_id, token, role} to FILE (mode 0600)
                      instead of printing the token, e.g.
                      --credentials credentials/NAME.json
  --data DIR          the KMS data directory (env KMS_DATA, default data/kms)

Enrolling again replaces the token and forgets the bound identity key.`;

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

async function main(): Promise<number> {
  const flags = parseArgs(Deno.args, {
    string: ["data", "role", "public-key", "credentials"],
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
      `--public-key must be a ${IDENTITY_PUBLIC_KEY_LENGTH}-byte Ed25519 public key in base64url`,
    );
    return 2;
  }
  const dataDir = flags.data ?? Deno.env.get("KMS_DATA") ?? "data/kms";
  await Deno.mkdir(dataDir, { recursive: true, mode: 0o700 });
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
