/**
 * ML-KEM-768 (FIPS 203), the post-quantum key encapsulation behind key
 * wrapping and the clients' hybrid keys. The one module that imports the
 * implementation (`@noble/post-quantum`), so a change of library or
 * parameter set happens here.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { generateKemKeyPair, kemDecapsulate, kemEncapsulate } from "./ml_kem.ts";
 *
 * const { publicKey, secretKey } = generateKemKeyPair();
 * const { cipherText, sharedSecret } = kemEncapsulate(publicKey);
 * assertEquals(kemDecapsulate(cipherText, secretKey), sharedSecret);
 * ```
 *
 * @module
 */

import { ml_kem768 } from "@noble/post-quantum/ml-kem";

/** ML-KEM-768 public key length in bytes. */
export const KEM_PUBLIC_KEY_LENGTH = 1184;
/** ML-KEM-768 secret key length in bytes. */
export const KEM_SECRET_KEY_LENGTH = 2400;
/** ML-KEM-768 ciphertext length in bytes. */
export const KEM_CIPHERTEXT_LENGTH = 1088;

/** An ML-KEM-768 key pair. */
export interface KemKeyPair {
  /** {@linkcode KEM_PUBLIC_KEY_LENGTH} bytes, the half that is sent. */
  publicKey: Uint8Array;
  /** {@linkcode KEM_SECRET_KEY_LENGTH} bytes, never leaves its holder. */
  secretKey: Uint8Array;
}

/** The sender's half of an encapsulation. */
export interface KemEncapsulation {
  /** {@linkcode KEM_CIPHERTEXT_LENGTH} bytes for the key pair's holder. */
  cipherText: Uint8Array;
  /** The 32-byte shared secret. */
  sharedSecret: Uint8Array;
}

/**
 * Generates an ML-KEM-768 key pair from fresh randomness.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { generateKemKeyPair, KEM_PUBLIC_KEY_LENGTH } from "./ml_kem.ts";
 * assertEquals(generateKemKeyPair().publicKey.length, KEM_PUBLIC_KEY_LENGTH);
 * ```
 */
export function generateKemKeyPair(): KemKeyPair {
  const { publicKey, secretKey } = ml_kem768.keygen();
  return { publicKey, secretKey };
}

/**
 * Encapsulates a fresh shared secret to `publicKey`.
 *
 * @throws {Error} for a public key that is not a valid ML-KEM-768 key.
 */
export function kemEncapsulate(publicKey: Uint8Array): KemEncapsulation {
  const { cipherText, sharedSecret } = ml_kem768.encapsulate(publicKey);
  return { cipherText, sharedSecret };
}

/**
 * Recovers the shared secret of `cipherText`. ML-KEM decapsulation never
 * fails on a well-formed ciphertext: a wrong one yields an unrelated secret
 * (implicit rejection), so a mismatch shows up when the key is used.
 *
 * @throws {Error} for inputs of the wrong length.
 */
export function kemDecapsulate(
  cipherText: Uint8Array,
  secretKey: Uint8Array,
): Uint8Array {
  return ml_kem768.decapsulate(cipherText, secretKey);
}
