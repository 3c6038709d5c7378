/**
 * AES-256-GCM with random 96-bit nonces and 128-bit tags through WebCrypto,
 * shared by chat packets and key wrapping.
 *
 * @module
 */

/** AES-256 key length in bytes. */
export const KEY_LENGTH = 32;
/** GCM nonce length in bytes. */
export const NONCE_LENGTH = 12;
/** GCM tag length in bytes. */
export const TAG_LENGTH = 16;

/** A GCM nonce with the ciphertext (tag appended) it produced. */
export interface Sealed {
  /** {@linkcode NONCE_LENGTH} bytes. */
  nonce: Uint8Array;
  /** Ciphertext followed by the {@linkcode TAG_LENGTH}-byte tag. */
  ciphertext: Uint8Array;
}

/** Options for {@linkcode seal} and {@linkcode open}. */
export interface AeadOptions {
  /** Authenticated but unencrypted data; must match between seal and open. */
  additionalData: Uint8Array;
}

/**
 * Imports a raw 32-byte AES-256-GCM key, non-extractable so that the key
 * bytes cannot leak back out of WebCrypto. Rejects with a `RangeError` for
 * any other length.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { importAesKey } from "./aes_gcm.ts";
 *
 * const key = await importAesKey(crypto.getRandomValues(new Uint8Array(32)));
 * assertEquals(key.extractable, false);
 * ```
 */
export async function importAesKey(raw: Uint8Array): Promise<CryptoKey> {
  if (raw.length !== KEY_LENGTH) {
    throw new RangeError(
      `AES-256-GCM key must be ${KEY_LENGTH} bytes, got ${raw.length}`,
    );
  }
  return await crypto.subtle.importKey(
    "raw",
    raw as Uint8Array<ArrayBuffer>,
    "AES-GCM",
    false,
    ["encrypt", "decrypt"],
  );
}

/**
 * Encrypts `plaintext` under a fresh random nonce.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { importAesKey, NONCE_LENGTH, seal, TAG_LENGTH } from "./aes_gcm.ts";
 *
 * const key = await importAesKey(new Uint8Array(32));
 * const sealed = await seal(key, new Uint8Array(3), {
 *   additionalData: new Uint8Array(0),
 * });
 * assertEquals(sealed.nonce.length, NONCE_LENGTH);
 * assertEquals(sealed.ciphertext.length, 3 + TAG_LENGTH);
 * ```
 */
export async function seal(
  key: CryptoKey,
  plaintext: Uint8Array,
  options: AeadOptions,
): Promise<Sealed> {
  const nonce = crypto.getRandomValues(new Uint8Array(NONCE_LENGTH));
  const ciphertext = await crypto.subtle.encrypt(
    {
      name: "AES-GCM",
      iv: nonce,
      additionalData: options.additionalData as Uint8Array<ArrayBuffer>,
    },
    key,
    plaintext as Uint8Array<ArrayBuffer>,
  );
  return { nonce, ciphertext: new Uint8Array(ciphertext) };
}

/**
 * Decrypts and authenticates a {@linkcode Sealed} message. Rejects with
 * WebCrypto's `OperationError` when the tag does not verify.
 *
 * @example
 * ```ts
 * import { assertEquals, assertRejects } from "@std/assert";
 * import { importAesKey, open, seal } from "./aes_gcm.ts";
 *
 * const key = await importAesKey(new Uint8Array(32));
 * const additionalData = new Uint8Array(0);
 * const sealed = await seal(key, new Uint8Array([7]), { additionalData });
 * assertEquals(await open(key, sealed, { additionalData }), Uint8Array.of(7));
 * await assertRejects(() =>
 *   open(key, sealed, { additionalData: Uint8Array.of(1) })
 * );
 * ```
 */
export async function open(
  key: CryptoKey,
  sealed: Sealed,
  options: AeadOptions,
): Promise<Uint8Array> {
  const plaintext = await crypto.subtle.decrypt(
    {
      name: "AES-GCM",
      iv: sealed.nonce as Uint8Array<ArrayBuffer>,
      additionalData: options.additionalData as Uint8Array<ArrayBuffer>,
    },
    key,
    sealed.ciphertext as Uint8Array<ArrayBuffer>,
  );
  return new Uint8Array(plaintext);
}
