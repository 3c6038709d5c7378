/**
 * HKDF-SHA256 (RFC 5869) and SHA-256, synchronous.
 *
 * WebCrypto's digest and HKDF are asynchronous operations that cost tens of
 * microseconds each in Deno; the KMS derives keys on its hot path, so these
 * use the audited pure-JavaScript implementations of `@noble/hashes`, about
 * twenty times cheaper per call. The RFC 5869 test vectors are checked in
 * `hkdf_test.ts`.
 *
 * @module
 */

import { hkdf } from "@noble/hashes/hkdf";
import { sha256 as nobleSha256 } from "@noble/hashes/sha2";

/** Options for {@linkcode hkdfSha256}. */
export interface HkdfOptions {
  /** Salt; RFC 5869 treats an absent salt as 32 zero bytes. */
  salt?: Uint8Array;
  /** Context and application specific information. */
  info?: Uint8Array | string;
  /** Output length in bytes (1 to 8160). Defaults to 32. */
  length?: number;
}

const encoder = new TextEncoder();

/**
 * Derives `length` bytes from input keying material with HKDF-SHA256.
 *
 * @example
 * ```ts
 * import { assertEquals, assertNotEquals } from "@std/assert";
 * import { hkdfSha256 } from "./hkdf.ts";
 *
 * const key = hkdfSha256(new Uint8Array(32), { info: "example", length: 32 });
 * assertEquals(key.length, 32);
 * assertNotEquals(key, hkdfSha256(new Uint8Array(32), { info: "other", length: 32 }));
 * ```
 */
export function hkdfSha256(
  ikm: Uint8Array,
  options: HkdfOptions = {},
): Uint8Array {
  const length = options.length ?? 32;
  if (!Number.isInteger(length) || length < 1 || length > 255 * 32) {
    throw new RangeError(`HKDF length must be 1..8160 bytes, got ${length}`);
  }
  const info = typeof options.info === "string"
    ? encoder.encode(options.info)
    : options.info ?? new Uint8Array(0);
  return hkdf(nobleSha256, ikm, options.salt, info, length);
}

/**
 * SHA-256 of a byte string or UTF-8 text.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { sha256 } from "./hkdf.ts";
 *
 * assertEquals(
 *   sha256("abc").toHex(),
 *   "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
 * );
 * ```
 */
export function sha256(data: Uint8Array | string): Uint8Array {
  return nobleSha256(typeof data === "string" ? encoder.encode(data) : data);
}
