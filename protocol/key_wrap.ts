/**
 * Session key delivery wrapped with ML-KEM-768 (FIPS 203), so the KMS never
 * sends a session key in clear: the KEM shared secret, through HKDF-SHA256,
 * keys an AES-256-GCM encryption of the session key.
 *
 * @module
 */

import { hkdfSha256, sha256 } from "../quantum/hkdf.ts";
import {
  KEM_CIPHERTEXT_LENGTH,
  KEM_PUBLIC_KEY_LENGTH,
  KEM_SECRET_KEY_LENGTH,
  kemDecapsulate,
  kemEncapsulate,
} from "../quantum/ml_kem.ts";
import {
  importAesKey,
  KEY_LENGTH,
  NONCE_LENGTH,
  open,
  seal,
  TAG_LENGTH,
} from "./aes_gcm.ts";

export {
  generateKemKeyPair,
  KEM_CIPHERTEXT_LENGTH,
  KEM_PUBLIC_KEY_LENGTH,
  KEM_SECRET_KEY_LENGTH,
  type KemKeyPair,
} from "../quantum/ml_kem.ts";
/** Length in bytes of {@linkcode WrappedKey.wrappedKey}. */
export const WRAPPED_KEY_LENGTH: number = NONCE_LENGTH + KEY_LENGTH +
  TAG_LENGTH;

const KDF_INFO = "QSTCS-KeyWrap-v1";
const encoder = new TextEncoder();

/** Why a key could not be wrapped or unwrapped. */
export type KeyWrapErrorCode = "invalid_input" | "unwrap_failed";

/**
 * Thrown for inputs of the wrong size or shape (`"invalid_input"`) and for a
 * wrapped key that does not authenticate (`"unwrap_failed"`).
 */
export class KeyWrapError extends Error {
  /** Why the operation failed. */
  readonly code: KeyWrapErrorCode;

  constructor(code: KeyWrapErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "KeyWrapError";
    this.code = code;
  }
}

/** A session key wrapped for one ML-KEM-768 public key. */
export interface WrappedKey {
  /** {@linkcode KEM_CIPHERTEXT_LENGTH} bytes of ML-KEM-768 ciphertext. */
  kemCiphertext: Uint8Array;
  /** `nonce || ciphertext || tag`, {@linkcode WRAPPED_KEY_LENGTH} bytes. */
  wrappedKey: Uint8Array;
}

/** Options for {@linkcode wrapKey} and {@linkcode unwrapKey}. */
export interface KeyWrapOptions {
  /**
   * What the key is for, e.g. `key_id|device_id`; authenticated, so a wrapped
   * key unwraps only under the same context.
   */
  context: string;
}

/**
 * Wraps a 32-byte session key for the holder of `kemPublicKey`.
 *
 * @throws {KeyWrapError} code `"invalid_input"` for a key that is not 32
 * bytes, an invalid public key or an empty context.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { generateKemKeyPair, unwrapKey, wrapKey } from "./key_wrap.ts";
 *
 * const device = generateKemKeyPair();
 * const sessionKey = crypto.getRandomValues(new Uint8Array(32));
 * const options = { context: "k-1|Soldier_Alpha" };
 * const wrapped = await wrapKey(sessionKey, device.publicKey, options);
 * assertEquals(await unwrapKey(wrapped, device.secretKey, options), sessionKey);
 * ```
 */
export async function wrapKey(
  key: Uint8Array,
  kemPublicKey: Uint8Array,
  options: KeyWrapOptions,
): Promise<WrappedKey> {
  requireLength("session key", key, KEY_LENGTH);
  const additionalData = contextBytes(options);
  const { kemCiphertext, sharedSecret } = encapsulate(kemPublicKey);
  const kek = await deriveKek(sharedSecret, kemCiphertext);
  const { nonce, ciphertext } = await seal(kek, key, { additionalData });
  const wrappedKey = new Uint8Array(WRAPPED_KEY_LENGTH);
  wrappedKey.set(nonce);
  wrappedKey.set(ciphertext, NONCE_LENGTH);
  return { kemCiphertext, wrappedKey };
}

/**
 * Recovers the session key from {@linkcode wrapKey}'s output.
 *
 * @throws {KeyWrapError} code `"invalid_input"` for parts of the wrong length,
 * a corrupt secret key or an empty context; `"unwrap_failed"` for another
 * device's secret key, a wrong context or tampered bytes.
 *
 * @example
 * ```ts
 * import { assertEquals, assertRejects } from "@std/assert";
 * import {
 *   generateKemKeyPair,
 *   KeyWrapError,
 *   unwrapKey,
 *   wrapKey,
 * } from "./key_wrap.ts";
 *
 * const device = generateKemKeyPair();
 * const wrapped = await wrapKey(new Uint8Array(32), device.publicKey, {
 *   context: "k-1|Soldier_Alpha",
 * });
 * const key = await unwrapKey(wrapped, device.secretKey, {
 *   context: "k-1|Soldier_Alpha",
 * });
 * assertEquals(key, new Uint8Array(32));
 * await assertRejects(
 *   () => unwrapKey(wrapped, device.secretKey, { context: "k-2|Soldier_Alpha" }),
 *   KeyWrapError,
 * );
 * ```
 */
export async function unwrapKey(
  wrapped: WrappedKey,
  secretKey: Uint8Array,
  options: KeyWrapOptions,
): Promise<Uint8Array> {
  requireLength("wrapped key", wrapped.wrappedKey, WRAPPED_KEY_LENGTH);
  const additionalData = contextBytes(options);
  const sharedSecret = decapsulate(wrapped.kemCiphertext, secretKey);
  const kek = await deriveKek(sharedSecret, wrapped.kemCiphertext);
  try {
    return await open(kek, {
      nonce: wrapped.wrappedKey.subarray(0, NONCE_LENGTH),
      ciphertext: wrapped.wrappedKey.subarray(NONCE_LENGTH),
    }, { additionalData });
  } catch (error) {
    throw new KeyWrapError(
      "unwrap_failed",
      "key unwrap failed: wrong secret key, wrong context or tampered data",
      { cause: error },
    );
  }
}

/** An ML-KEM-768 encapsulation: what is sent and the secret it carries. */
export interface Encapsulation {
  /** {@linkcode KEM_CIPHERTEXT_LENGTH} bytes for the key pair's holder. */
  kemCiphertext: Uint8Array;
  /** The 32-byte shared secret; derive keys from it, never use it as one. */
  sharedSecret: Uint8Array;
}

/**
 * Encapsulates a fresh ML-KEM-768 shared secret to `kemPublicKey`, the step
 * {@linkcode wrapKey} starts with, for protocols that mix the secret with
 * other key material (room sender keys).
 *
 * @throws {KeyWrapError} code `"invalid_input"` for a public key of the
 * wrong length or one FIPS 203's input check refuses.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { decapsulate, encapsulate, generateKemKeyPair } from "./key_wrap.ts";
 *
 * const device = generateKemKeyPair();
 * const { kemCiphertext, sharedSecret } = encapsulate(device.publicKey);
 * assertEquals(decapsulate(kemCiphertext, device.secretKey), sharedSecret);
 * ```
 */
export function encapsulate(kemPublicKey: Uint8Array): Encapsulation {
  requireLength("ML-KEM-768 public key", kemPublicKey, KEM_PUBLIC_KEY_LENGTH);
  const { cipherText, sharedSecret } = runKem(
    "ML-KEM-768 public key",
    () => kemEncapsulate(kemPublicKey),
  );
  return { kemCiphertext: cipherText, sharedSecret };
}

/**
 * Recovers the shared secret of {@linkcode encapsulate}. Another device's
 * secret key or a tampered KEM ciphertext decapsulates to an unrelated
 * secret (implicit rejection), so the caller's AEAD tag is what catches it.
 *
 * @throws {KeyWrapError} code `"invalid_input"` for parts of the wrong
 * length or a secret key that fails FIPS 203's hash check.
 */
export function decapsulate(
  kemCiphertext: Uint8Array,
  secretKey: Uint8Array,
): Uint8Array {
  requireLength("ML-KEM-768 ciphertext", kemCiphertext, KEM_CIPHERTEXT_LENGTH);
  requireLength("ML-KEM-768 secret key", secretKey, KEM_SECRET_KEY_LENGTH);
  return runKem(
    "ML-KEM-768 secret key",
    () => kemDecapsulate(kemCiphertext, secretKey),
  );
}

// Salting with the KEM ciphertext's hash ties the key-encryption key to this
// exact encapsulation.
async function deriveKek(
  sharedSecret: Uint8Array,
  kemCiphertext: Uint8Array,
): Promise<CryptoKey> {
  const raw = hkdfSha256(sharedSecret, {
    salt: sha256(kemCiphertext),
    info: KDF_INFO,
    length: KEY_LENGTH,
  });
  return await importAesKey(raw);
}

// FIPS 203 input checks (public key coefficients reduced, secret key hash
// matching) throw; callers should see those as invalid input, not a crash.
function runKem<T>(what: string, operation: () => T): T {
  try {
    return operation();
  } catch (error) {
    throw new KeyWrapError(
      "invalid_input",
      `invalid ${what}: ${error instanceof Error ? error.message : error}`,
      { cause: error },
    );
  }
}

function contextBytes(options: KeyWrapOptions): Uint8Array {
  if (typeof options.context !== "string" || options.context.length === 0) {
    throw new KeyWrapError(
      "invalid_input",
      "key wrap context must be a non-empty string",
    );
  }
  return encoder.encode(options.context);
}

function requireLength(what: string, bytes: Uint8Array, length: number): void {
  if (bytes.length !== length) {
    throw new KeyWrapError(
      "invalid_input",
      `${what} must be ${length} bytes, got ${bytes.length} bytes`,
    );
  }
}
