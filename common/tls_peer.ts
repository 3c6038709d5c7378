/**
 * Mutual TLS for {@linkcode listenGuarded}: the `node:https` server options
 * that demand a client certificate signed by the given CA, the verified
 * peer's identity per request, and refused handshakes summarised per
 * address instead of one log line each.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { normalizeFingerprint } from "./tls_peer.ts";
 *
 * assertEquals(normalizeFingerprint("0A:7B:" + "00:".repeat(29) + "FF"), "0a7b" + "00".repeat(29) + "ff");
 * assertEquals(normalizeFingerprint("not hex"), undefined);
 * ```
 *
 * @module
 */

import type { ServerOptions } from "node:https";
import type { Socket } from "node:net";
import type { TLSSocket } from "node:tls";

/** The PEM texts a mutual-TLS server needs. */
export interface TlsCredentials {
  /** The server's private key. */
  key: string;
  /** The server's certificate (chain). */
  cert: string;
  /** The CA bundle client certificates must chain to. */
  ca: string;
}

/** A verified client certificate, as a handler sees it. */
export interface PeerCertificate {
  /** SHA-256 of the certificate's DER, lowercase hex without colons. */
  fingerprint256: string;
  /** The subject's common name, if any. */
  subjectCN?: string;
  /** The subjectAltName extension as OpenSSL prints it, e.g. `URI:urn:x, DNS:a`. */
  subjectAltName?: string;
}

/**
 * `node:https` options for TLS 1.2 or later with a client certificate that
 * must chain to `credentials.ca`: a peer without one, or with another
 * CA's, is refused during the handshake and never reaches HTTP parsing.
 * A handshake must finish within `handshakeTimeoutMs`, so a connection
 * that never starts TLS cannot hold its socket for Node's default 120 s.
 */
export function mutualTlsOptions(
  credentials: TlsCredentials,
  options: { handshakeTimeoutMs: number },
): ServerOptions {
  return {
    key: credentials.key,
    cert: credentials.cert,
    ca: credentials.ca,
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: "TLSv1.2",
    handshakeTimeout: options.handshakeTimeoutMs,
    // Timeouts are checked this often: a close comes at most 1 s late.
    connectionsCheckingInterval: 1000,
  } as ServerOptions;
}

/**
 * The verified client certificate of a request's socket; undefined on a
 * plain socket or an unverified one. Read per request, never cached per
 * connection: a resumed TLS session carries the original peer's
 * authorization without showing its certificate again, and the caller's
 * enrollment may have changed since.
 */
export function peerCertificate(socket: Socket): PeerCertificate | undefined {
  const tls = socket as TLSSocket;
  if (!tls.encrypted || !tls.authorized) return undefined;
  const peer = tls.getPeerCertificate();
  const fingerprint256 = normalizeFingerprint(peer?.fingerprint256 ?? "");
  if (fingerprint256 === undefined) return undefined;
  const cn = peer.subject?.CN;
  return {
    fingerprint256,
    subjectCN: Array.isArray(cn) ? cn[0] : cn,
    subjectAltName: peer.subjectaltname || undefined,
  };
}

/**
 * A SHA-256 fingerprint (`AA:BB:…` as OpenSSL and Node print it, or plain
 * hex) as lowercase hex without colons; undefined if it is none.
 */
export function normalizeFingerprint(text: string): string | undefined {
  const hex = text.trim().replaceAll(":", "").toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex : undefined;
}

/**
 * Refused TLS handshakes counted per address and reason, summarised in one
 * line per address when {@linkcode TlsRefusalLog.flush} runs (every log
 * interval), e.g. "refused 40 TLS handshakes from 127.0.0.1 in the last
 * 10 s (ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE 40)".
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { TlsRefusalLog } from "./tls_peer.ts";
 *
 * const lines: string[] = [];
 * const refusals = new TlsRefusalLog({ log: (line) => lines.push(line) });
 * refusals.count("10.0.0.9", "ECONNRESET");
 * refusals.count("10.0.0.9", "ECONNRESET");
 * refusals.flush();
 * refusals.flush();
 * assertEquals(lines, ["refused 2 TLS handshakes from 10.0.0.9 in the last 10 s (ECONNRESET 2)"]);
 * ```
 */
export class TlsRefusalLog {
  #byAddress = new Map<string, Map<string, number>>();
  #log: (line: string) => void;
  #intervalMs: number;

  constructor(options: { log: (line: string) => void; intervalMs?: number }) {
    this.#log = options.log;
    this.#intervalMs = options.intervalMs ?? 10_000;
  }

  /** Counts one refused handshake from `address` for `reason`. */
  count(address: string, reason: string): void {
    let reasons = this.#byAddress.get(address);
    if (!reasons) {
      reasons = new Map();
      this.#byAddress.set(address, reasons);
    }
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }

  /** Logs and forgets the counts so far. */
  flush(): void {
    const seconds = Math.round(this.#intervalMs / 1000);
    for (const [address, reasons] of this.#byAddress) {
      const total = [...reasons.values()].reduce((a, b) => a + b, 0);
      const why = [...reasons].map(([r, n]) => `${r} ${n}`).join(", ");
      this.#log(
        `refused ${total} TLS handshake${
          total === 1 ? "" : "s"
        } from ${address} in the last ${seconds} s (${why})`,
      );
    }
    this.#byAddress.clear();
  }
}
