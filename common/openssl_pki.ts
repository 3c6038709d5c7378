/**
 * A small X.509 PKI made with the `openssl` command (OpenSSL 3): a CA, and
 * server or client certificates it signs, all ECDSA P-256. The same
 * commands an operator would type with their own CA; nothing here parses
 * ASN.1. Keys are written mode 0600 into a folder of mode 0700.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { issueCertificate, makeCa } from "./openssl_pki.ts";
 *
 * const dir = await Deno.makeTempDir();
 * const ca = await makeCa(dir, { commonName: "Example CA" });
 * const sae = await issueCertificate(dir, {
 *   ca,
 *   name: "SAE_A",
 *   commonName: "SAE_A",
 *   subjectAltName: ["URI:urn:qstcs:sae:SAE_A"],
 *   usage: "clientAuth",
 * });
 * const { X509Certificate } = await import("node:crypto");
 * const cert = new X509Certificate(await Deno.readTextFile(sae.cert));
 * assertEquals(cert.subject, "CN=SAE_A");
 * assertEquals(cert.checkIssued(new X509Certificate(await Deno.readTextFile(ca.cert))), true);
 * assertEquals((await Deno.stat(sae.key)).mode! & 0o777, 0o600);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */

import { resolve } from "./std.ts";

/** Where a certificate and its private key are (PEM files). */
export interface CertificateFiles {
  /** The certificate. */
  cert: string;
  /** Its private key. */
  key: string;
}

/** The outcome of an `openssl` run that failed: its command and stderr. */
export class OpensslError extends Error {
  constructor(args: string[], stderr: string) {
    super(`openssl ${args[0]} failed: ${stderr.trim() || "no output"}`);
    this.name = "OpensslError";
  }
}

const KEY_OPTIONS = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];

async function openssl(args: string[], options: { cwd: string }) {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("openssl", {
      args,
      cwd: options.cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new OpensslError(args, "the openssl command is not installed");
    }
    throw error;
  }
  if (!output.success) {
    throw new OpensslError(args, new TextDecoder().decode(output.stderr));
  }
}

async function privateFolder(dir: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  await Deno.chmod(dir, 0o700);
}

/**
 * Makes `ca.pem` and `ca.key` in `dir` (mode 0600, the folder 0700): a
 * self-signed CA valid `options.days` (default 3650) that may sign
 * certificates only.
 */
export async function makeCa(
  dir: string,
  options: { commonName: string; days?: number },
): Promise<CertificateFiles> {
  await privateFolder(dir);
  await openssl([
    "req",
    "-x509",
    ...KEY_OPTIONS,
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    String(options.days ?? 3650),
    "-subj",
    `/CN=${options.commonName}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ], { cwd: dir });
  return narrow({ cert: `${dir}/ca.pem`, key: `${dir}/ca.key` });
}

/** What {@linkcode issueCertificate} puts in a certificate. */
export interface CertificateRequest {
  /** The CA that signs it. */
  ca: CertificateFiles;
  /** The file names: `NAME.pem`, `NAME.key`. */
  name: string;
  /** The subject's CN. */
  commonName: string;
  /** subjectAltName entries, e.g. `DNS:localhost`, `IP:127.0.0.1`, `URI:urn:x`. */
  subjectAltName: string[];
  /** The extended key usage: a TLS server's or a TLS client's. */
  usage: "serverAuth" | "clientAuth";
  /** Validity in days. Default 825. */
  days?: number;
}

/**
 * Makes `NAME.pem` and `NAME.key` in `dir`, signed by `request.ca`; the
 * files are mode 0600. Throws an {@linkcode OpensslError} if openssl fails
 * (a bad name in `subjectAltName`, say).
 */
export async function issueCertificate(
  dir: string,
  request: CertificateRequest,
): Promise<CertificateFiles> {
  await privateFolder(dir);
  const { name } = request;
  const extensions = [
    `subjectAltName=${request.subjectAltName.join(",")}`,
    `extendedKeyUsage=${request.usage}`,
    "basicConstraints=CA:FALSE",
    "",
  ].join("\n");
  await Deno.writeTextFile(`${dir}/${name}.ext`, extensions);
  try {
    await openssl([
      "req",
      ...KEY_OPTIONS,
      "-nodes",
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.csr`,
      "-subj",
      `/CN=${request.commonName}`,
    ], { cwd: dir });
    await openssl([
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      resolve(request.ca.cert),
      "-CAkey",
      resolve(request.ca.key),
      "-set_serial",
      `0x${crypto.getRandomValues(new Uint8Array(16)).toHex()}`,
      "-out",
      `${name}.pem`,
      "-days",
      String(request.days ?? 825),
      "-extfile",
      `${name}.ext`,
    ], { cwd: dir });
  } finally {
    await Deno.remove(`${dir}/${name}.ext`).catch(() => {});
    await Deno.remove(`${dir}/${name}.csr`).catch(() => {});
  }
  return narrow({ cert: `${dir}/${name}.pem`, key: `${dir}/${name}.key` });
}

async function narrow(files: CertificateFiles): Promise<CertificateFiles> {
  await Deno.chmod(files.key, 0o600);
  await Deno.chmod(files.cert, 0o600);
  return files;
}
