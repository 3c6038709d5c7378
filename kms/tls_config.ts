/**
 * The KMS's ETSI GS QKD 014 listener over mutual TLS: its flags, and the
 * certificate files it loads at start.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseTlsConfig } from "./tls_config.ts";
 *
 * const tls = parseTlsConfig({}, { dataDir: "data/kms", env: () => undefined });
 * assertEquals([tls.port, tls.ca, tls.explicit], [8443, "data/kms/pki/ca.pem", false]);
 * assertEquals(parseTlsConfig({ "https-port": "0" }, { dataDir: "d", env: () => undefined }).port, 0);
 * ```
 *
 * @module
 */

import { ConfigError, parsePort } from "../common/cli.ts";
import type { TlsCredentials } from "../common/tls_peer.ts";

/** Where the SAE id of a client certificate is read. */
export type SaeIdSource = "cn" | "san-uri";

/** The URI prefix of an SAE id in a certificate's subjectAltName. */
export const SAE_URI_PREFIX = "urn:qstcs:sae:";

/** The mutual-TLS listener's settings. */
export interface TlsConfig {
  /** HTTPS port of the ETSI API; 0 for none. Default 8443. */
  port: number;
  /** The KMS's certificate (PEM). Default DATA/pki/kms.pem. */
  cert: string;
  /** Its private key (PEM). Default DATA/pki/kms.key. */
  key: string;
  /** The CA bundle SAE certificates must chain to. Default DATA/pki/ca.pem. */
  ca: string;
  /** Which name of a certificate is the SAE id. Default `cn`. */
  saeId: SaeIdSource;
  /** Whether a port or file was named: then unusable files stop the KMS. */
  explicit: boolean;
}

/** The flags {@linkcode parseTlsConfig} reads. */
export const TLS_FLAGS = [
  "https-port",
  "tls-cert",
  "tls-key",
  "tls-ca",
  "tls-sae-id",
] as const;

/** Usage lines of the flags. */
export const TLS_USAGE = `ETSI GS QKD 014 over mutual TLS:
  --https-port PORT  HTTPS port of /api/v1/keys/ with client certificates
                     (env KMS_HTTPS_PORT, default 8443; 0 turns it off)
  --tls-cert FILE    the KMS's certificate  (default DATA/pki/kms.pem)
  --tls-key FILE     its private key        (default DATA/pki/kms.key)
  --tls-ca FILE      the CA that signs SAE certificates (default DATA/pki/ca.pem)
  --tls-sae-id cn|san-uri  the certificate's name that is the SAE id: its CN
                     (default) or a SAN URI:${SAE_URI_PREFIX}SAE_ID
  Without the default files the KMS starts without HTTPS and says how to
  make them (deno task kms:pki SAE_ID ...).`;

/** Reads the flags over `KMS_HTTPS_PORT` and the defaults under `dataDir`. */
export function parseTlsConfig(
  flags: Partial<Record<(typeof TLS_FLAGS)[number], string>>,
  options: { dataDir: string; env: (name: string) => string | undefined },
): TlsConfig {
  const portText = flags["https-port"] ?? options.env("KMS_HTTPS_PORT");
  const saeId = flags["tls-sae-id"] ?? "cn";
  if (saeId !== "cn" && saeId !== "san-uri") {
    throw new ConfigError(`--tls-sae-id must be cn or san-uri, got ${saeId}`);
  }
  const pki = `${options.dataDir}/pki`;
  return {
    port: parsePort(portText ?? "8443", { name: "https-port" }),
    cert: flags["tls-cert"] ?? `${pki}/kms.pem`,
    key: flags["tls-key"] ?? `${pki}/kms.key`,
    ca: flags["tls-ca"] ?? `${pki}/ca.pem`,
    saeId,
    explicit: portText !== undefined || flags["tls-cert"] !== undefined ||
      flags["tls-key"] !== undefined || flags["tls-ca"] !== undefined,
  };
}

/** The outcome of {@linkcode loadTlsCredentials}. */
export type TlsLoad =
  | { ok: true; credentials: TlsCredentials }
  | { ok: false; reason: "disabled" | "missing_defaults"; message: string };

/**
 * Reads the certificate files of `config`. Off (port 0), or the default
 * files absent: `{ ok: false }` with the line to print. Files that were
 * named and cannot be read, or that do not hold PEM: a ConfigError.
 */
export async function loadTlsCredentials(
  config: TlsConfig,
): Promise<TlsLoad> {
  if (config.port === 0) {
    return { ok: false, reason: "disabled", message: "HTTPS port 0: off" };
  }
  const texts: string[] = [];
  for (const file of [config.cert, config.key, config.ca]) {
    try {
      texts.push(await Deno.readTextFile(file));
    } catch (error) {
      if (!config.explicit && error instanceof Deno.errors.NotFound) {
        return {
          ok: false,
          reason: "missing_defaults",
          message: `no ${file}: ETSI 014 over mutual TLS is off; make a ` +
            `demo PKI with: deno task kms:pki SAE_ID ... (then restart)`,
        };
      }
      throw new ConfigError(
        `cannot read ${file} for --https-port ${config.port}: ${
          error instanceof Error ? error.message : error
        }`,
      );
    }
  }
  const [cert, key, ca] = texts;
  const pem = (text: string, kind: string) =>
    text.includes(`-----BEGIN `) &&
    text.includes(kind);
  if (!pem(cert, "CERTIFICATE") || !pem(ca, "CERTIFICATE")) {
    throw new ConfigError(
      `${config.cert} and ${config.ca} must hold PEM certificates`,
    );
  }
  if (!pem(key, "PRIVATE KEY")) {
    throw new ConfigError(`${config.key} must hold a PEM private key`);
  }
  return { ok: true, credentials: { cert, key, ca } };
}
