/**
 * `deno task kms:pki [--out DIR] [--host NAME|IP,...] [--days N] [--force]
 * SAE_ID ...`: a demo PKI for ETSI GS QKD 014 over mutual TLS, made with
 * `openssl` (ECDSA P-256):
 * - `ca.pem`/`ca.key`: the CA (kept if it exists, unless `--force`);
 * - `kms.pem`/`kms.key`: the KMS's server certificate, CN=QSTCS-KMS (the
 *   KME ID of its status answers, which clause 5.1 has the SAE check), SAN
 *   DNS:localhost, IP:127.0.0.1 and each `--host`;
 * - `SAE_ID.pem`/`SAE_ID.key` per SAE: CN=SAE_ID, SAN
 *   URI:urn:qstcs:sae:SAE_ID, extended key usage clientAuth.
 * Files are mode 0600 in a folder of mode 0700 (default data/kms/pki, where
 * the KMS looks). Existing certificates are kept unless `--force`, or for
 * the server's, unless `--host` names hosts. It prints each certificate's
 * SHA-256 fingerprint and the `kms:enroll` line that binds it. Real
 * deployments bring their own CA (kms/README.md shows the openssl lines).
 *
 * @module
 */

import {
  type CertificateFiles,
  issueCertificate,
  makeCa,
  OpensslError,
} from "../common/openssl_pki.ts";
import { parseArgs } from "../common/std.ts";
import { isDeviceId } from "../protocol/mod.ts";
import { X509Certificate } from "node:crypto";
import { KME_ID } from "./etsi_routes.ts";
import { SAE_URI_PREFIX } from "./tls_config.ts";

const USAGE =
  `Usage: deno task kms:pki [--out DIR] [--host NAME|IP,...] [--days N] [--force] SAE_ID ...

Makes a demo CA, the KMS's server certificate and a client certificate per
SAE for ETSI GS QKD 014 over mutual TLS (openssl, ECDSA P-256).

  --out DIR    where the files go (default data/kms/pki: the KMS's defaults
               --tls-cert DIR/kms.pem --tls-key DIR/kms.key --tls-ca DIR/ca.pem)
  --host H,... other names or IP addresses of the KMS for its certificate
               (besides localhost and 127.0.0.1), comma-separated
  --days N     validity of the server and SAE certificates (default 825)
  --force      make the CA and every named certificate anew`;

function fileExists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

function fingerprint(files: CertificateFiles): string {
  return new X509Certificate(Deno.readTextFileSync(files.cert)).fingerprint256;
}

function altName(host: string): string {
  return /^[\d.]+$/.test(host) || host.includes(":")
    ? `IP:${host}`
    : `DNS:${host}`;
}

async function main(): Promise<number> {
  const flags = parseArgs(Deno.args, {
    string: ["out", "host", "days"],
    boolean: ["force", "help"],
  });
  const saes = flags._.map(String);
  if (flags.help) {
    console.log(USAGE);
    return 0;
  }
  const bad = saes.find((sae) => !isDeviceId(sae));
  const days = Number(flags.days ?? "825");
  if (bad !== undefined || !Number.isSafeInteger(days) || days < 1) {
    console.error(
      bad !== undefined
        ? `not an SAE id: ${bad} (1 to 64 characters from A-Z a-z 0-9 _ . -)`
        : `--days must be a whole number of at least 1, got ${flags.days}`,
    );
    console.error(USAGE);
    return 2;
  }
  const out = flags.out ?? "data/kms/pki";
  const hosts = (flags.host ?? "").split(",").filter((host) => host !== "");
  const force = flags.force === true;
  const made: string[] = [];
  let ca: CertificateFiles = { cert: `${out}/ca.pem`, key: `${out}/ca.key` };
  if (force || !fileExists(ca.cert) || !fileExists(ca.key)) {
    ca = await makeCa(out, { commonName: "QSTCS demo CA" });
    made.push("ca.pem");
  }
  const server = { cert: `${out}/kms.pem`, key: `${out}/kms.key` };
  if (
    force || hosts.length > 0 || made.length > 0 || !fileExists(server.cert)
  ) {
    await issueCertificate(out, {
      ca,
      name: "kms",
      commonName: KME_ID,
      subjectAltName: ["DNS:localhost", "IP:127.0.0.1", ...hosts.map(altName)],
      usage: "serverAuth",
      days,
    });
    made.push("kms.pem");
  }
  const clients: Record<string, CertificateFiles> = {};
  for (const sae of saes) {
    clients[sae] = { cert: `${out}/${sae}.pem`, key: `${out}/${sae}.key` };
    if (force || made.includes("ca.pem") || !fileExists(clients[sae].cert)) {
      clients[sae] = await issueCertificate(out, {
        ca,
        name: sae,
        commonName: sae,
        subjectAltName: [`URI:${SAE_URI_PREFIX}${sae}`],
        usage: "clientAuth",
        days,
      });
      made.push(`${sae}.pem`);
    }
  }
  const state = (file: string) => made.includes(file) ? "new " : "kept";
  console.log(`PKI in ${out}/ (keys mode 0600):`);
  console.log(`  ${state("ca.pem")} ca.pem   CA, sha256 ${fingerprint(ca)}`);
  console.log(
    `  ${state("kms.pem")} kms.pem  KMS server (CN=${KME_ID}), sha256 ${
      fingerprint(server)
    }`,
  );
  for (const sae of saes) {
    console.log(
      `  ${state(`${sae}.pem`)} ${sae}.pem  SAE ${sae}, sha256 ${
        fingerprint(clients[sae])
      }`,
    );
  }
  if (saes.length > 0) {
    console.log("Bind each SAE's certificate (then the KMS accepts it only):");
    for (const sae of saes) {
      console.log(`  deno task kms:enroll ${sae} --cert ${clients[sae].cert}`);
    }
  }
  if (made.includes("ca.pem")) {
    console.log(
      "A new CA: restart the KMS, and bind again SAEs bound before (their old certificates no longer verify).",
    );
  }
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (error) {
    if (!(error instanceof OpensslError)) throw error;
    console.error(error.message);
    Deno.exit(1);
  }
}
