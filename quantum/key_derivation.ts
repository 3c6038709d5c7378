/**
 * Session key derivation, separated per ordered pair of devices, and the hybrid
 * post-quantum combination.
 *
 * @module
 */

import { kemDecapsulate, kemEncapsulate } from "./ml_kem.ts";
import { hkdfSha256, sha256 } from "./hkdf.ts";

/** The two ends of a session, as device ids. */
export interface SessionParties {
  /** The device that asks. */
  client: string;
  peer: string;
}

/**
 * Derives a 32-byte session key with HKDF-SHA256: salt = SHA-256 of
 * `qstcs-{client}-{peer}`, info = `qstcs-session-{client}-{peer}`, so that one
 * secret gives each ordered pair of devices its own key.
 *
 * @example
 * ```ts
 * import { assertEquals, assertNotEquals } from "@std/assert";
 * import { deriveSessionKey } from "./key_derivation.ts";
 *
 * const key = deriveSessionKey(new Uint8Array(32), { client: "A", peer: "B" });
 * assertEquals(key.length, 32);
 * assertNotEquals(key, deriveSessionKey(new Uint8Array(32), { client: "B", peer: "A" }));
 * ```
 */
export function deriveSessionKey(
  secret: Uint8Array,
  parties: SessionParties,
): Uint8Array {
  const { client, peer } = parties;
  return hkdfSha256(secret, {
    salt: sha256(`qstcs-${client}-${peer}`),
    info: `qstcs-session-${client}-${peer}`,
    length: 32,
  });
}

/** HKDF info string of the hybrid derivation; both ends must use it. */
export const HYBRID_INFO = "QSTCS-Hybrid-PQC";

/**
 * Combines a QKD key with an ML-KEM shared secret: HKDF-SHA256 over
 * `qkdKey || mlkemSharedSecret` with info `QSTCS-Hybrid-PQC`. The result stays
 * secret as long as either input does.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { deriveHybridKey } from "./key_derivation.ts";
 *
 * const key = deriveHybridKey(new Uint8Array(32), new Uint8Array(32));
 * assertEquals(key.length, 32);
 * ```
 */
export function deriveHybridKey(
  qkdKey: Uint8Array,
  mlkemSharedSecret: Uint8Array,
): Uint8Array {
  const input = new Uint8Array(qkdKey.length + mlkemSharedSecret.length);
  input.set(qkdKey);
  input.set(mlkemSharedSecret, qkdKey.length);
  return hkdfSha256(input, { info: HYBRID_INFO, length: 32 });
}

/** The sender's half of a hybrid exchange. */
export interface HybridEncapsulation {
  key: Uint8Array;
  /** The ML-KEM-768 ciphertext to send to the holder of the secret key. */
  cipherText: Uint8Array;
}

/**
 * Encapsulates to an ML-KEM-768 public key (FIPS 203) and derives the hybrid
 * key from `qkdKey` and the fresh shared secret.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { hybridDecapsulate, hybridEncapsulate } from "./key_derivation.ts";
 * import { generateKemKeyPair } from "./ml_kem.ts";
 *
 * const qkd = new Uint8Array(32);
 * const { publicKey, secretKey } = generateKemKeyPair();
 * const sent = hybridEncapsulate(qkd, publicKey);
 * const got = hybridDecapsulate(qkd, { cipherText: sent.cipherText, secretKey });
 * assertEquals(sent.key, got);
 * ```
 */
export function hybridEncapsulate(
  qkdKey: Uint8Array,
  publicKey: Uint8Array,
): HybridEncapsulation {
  const { cipherText, sharedSecret } = kemEncapsulate(publicKey);
  return { key: deriveHybridKey(qkdKey, sharedSecret), cipherText };
}

/** The receiver's inputs to {@linkcode hybridDecapsulate}. */
export interface HybridReceipt {
  /** The ML-KEM-768 ciphertext received. */
  cipherText: Uint8Array;
  /** The receiver's ML-KEM-768 secret key. */
  secretKey: Uint8Array;
}

/**
 * Decapsulates an ML-KEM-768 ciphertext and derives the same hybrid key.
 * (ML-KEM decapsulation never fails: a wrong ciphertext yields an unrelated
 * secret, so a mismatch shows up when the key is used.)
 */
export function hybridDecapsulate(
  qkdKey: Uint8Array,
  receipt: HybridReceipt,
): Uint8Array {
  const sharedSecret = kemDecapsulate(receipt.cipherText, receipt.secretKey);
  return deriveHybridKey(qkdKey, sharedSecret);
}
