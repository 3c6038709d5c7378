/**
 * Test lab: a throwaway PKI in a temp folder, made by `openssl` (see
 * common/openssl_pki.ts): a CA, the KMS's server certificate for
 * localhost and 127.0.0.1, client certificates for the named SAEs, and a
 * rogue CA's client certificate for `SAE_A` that the server must refuse.
 *
 * @module
 */

import {
  type CertificateFiles,
  issueCertificate,
  makeCa,
} from "../common/openssl_pki.ts";
import type { TlsCredentials } from "../common/tls_peer.ts";

/** The files of a {@linkcode makeTestPki} PKI. */
export interface TestPki {
  /** The folder that holds them all. */
  dir: string;
  /** The trusted CA. */
  ca: CertificateFiles;
  /** The server's certificate (CN=QSTCS-KMS). */
  server: CertificateFiles;
  /** A client certificate per SAE name (CN=name, SAN URI:urn:qstcs:sae:name). */
  clients: Record<string, CertificateFiles>;
  /** A client certificate for SAE_A signed by another CA. */
  rogue: CertificateFiles;
  /** The server side's PEM texts, for `listenGuarded`'s `tls`. */
  credentials: TlsCredentials;
  /** Removes the folder. */
  remove(): Promise<void>;
}

/** Makes a PKI for `saes` in a new temp folder. */
export async function makeTestPki(saes: string[]): Promise<TestPki> {
  const dir = await Deno.makeTempDir({ prefix: "qstcs-pki-" });
  const ca = await makeCa(`${dir}/ca`, { commonName: "QSTCS test CA" });
  const server = await issueCertificate(`${dir}/ca`, {
    ca,
    name: "kms",
    commonName: "QSTCS-KMS",
    subjectAltName: ["DNS:localhost", "IP:127.0.0.1"],
    usage: "serverAuth",
  });
  const clients: Record<string, CertificateFiles> = {};
  for (const sae of saes) {
    clients[sae] = await issueCertificate(`${dir}/ca`, {
      ca,
      name: sae,
      commonName: sae,
      subjectAltName: [`URI:urn:qstcs:sae:${sae}`],
      usage: "clientAuth",
    });
  }
  const rogueCa = await makeCa(`${dir}/rogue`, { commonName: "Rogue CA" });
  const rogue = await issueCertificate(`${dir}/rogue`, {
    ca: rogueCa,
    name: "SAE_A",
    commonName: "SAE_A",
    subjectAltName: ["URI:urn:qstcs:sae:SAE_A"],
    usage: "clientAuth",
  });
  return {
    dir,
    ca,
    server,
    clients,
    rogue,
    credentials: {
      key: await Deno.readTextFile(server.key),
      cert: await Deno.readTextFile(server.cert),
      ca: await Deno.readTextFile(ca.cert),
    },
    remove: () => Deno.remove(dir, { recursive: true }),
  };
}

/** A fetch client that trusts the PKI's CA and shows `files` (or no certificate). */
export async function tlsClient(
  pki: TestPki,
  files?: CertificateFiles,
): Promise<Deno.HttpClient> {
  const caCerts = [await Deno.readTextFile(pki.ca.cert)];
  if (!files) return Deno.createHttpClient({ caCerts });
  return Deno.createHttpClient({
    caCerts,
    cert: await Deno.readTextFile(files.cert),
    key: await Deno.readTextFile(files.key),
  });
}
