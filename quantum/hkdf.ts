/**
 * HKDF-SHA256 (RFC 5869) through WebCrypto.
 *
 * @module
 */

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
 * import { hkdfSha256 } from "./hkdf.ts";
 * const key = await hkdfSha256(new Uint8Array(32), { info: "example", length: 32 });
 * console.log(key.length); // 32
 * ```
 */
export async function hkdfSha256(
  ikm: Uint8Array,
  options: HkdfOptions = {},
): Promise<Uint8Array> {
  const length = options.length ?? 32;
  if (!Number.isInteger(length) || length < 1 || length > 255 * 32) {
    throw new RangeError(`HKDF length must be 1..8160 bytes, got ${length}`);
  }
  const info = typeof options.info === "string"
    ? encoder.encode(options.info)
    : options.info ?? new Uint8Array(0);
  const base = await crypto.subtle.importKey(
    "raw",
    ikm as Uint8Array<ArrayBuffer>,
    "HKDF",
    false,
    ["deriveBits"],
  );
  const bits = await crypto.subtle.deriveBits(
    {
      name: "HKDF",
      hash: "SHA-256",
      salt: (options.salt ?? new Uint8Array(32)) as Uint8Array<ArrayBuffer>,
      info: info as Uint8Array<ArrayBuffer>,
    },
    base,
    length * 8,
  );
  return new Uint8Array(bits);
}

/**
 * SHA-256 of a byte string or UTF-8 text.
 *
 * @example
 * ```ts
 * import { sha256 } from "./hkdf.ts";
 * const digest = await sha256("abc");
 * console.log(digest.length); // 32
 * ```
 */
export async function sha256(data: Uint8Array | string): Promise<Uint8Array> {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  return new Uint8Array(
    await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>),
  );
}
