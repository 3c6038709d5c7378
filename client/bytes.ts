/**
 * Byte comparisons for public keys.
 *
 * @module
 */

/**
 * Whether `a` and `b` hold the same bytes. Not constant-time: for public
 * keys, never for secrets.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { sameBytes } from "./bytes.ts";
 * assertEquals(sameBytes(new Uint8Array([1, 2]), new Uint8Array([1, 2])), true);
 * assertEquals(sameBytes(new Uint8Array([1, 2]), new Uint8Array([1])), false);
 * ```
 */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
