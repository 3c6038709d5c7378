/**
 * UTF-8 sizes of text frames, measured without encoding them, so the relay
 * can refuse an oversize frame before parsing it.
 *
 * @module
 */

/**
 * The number of bytes `text` takes in UTF-8. A lone surrogate counts as the
 * three bytes of the U+FFFD that replaces it on the wire.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { utf8ByteLength } from "./frame_size.ts";
 *
 * assertEquals(utf8ByteLength("né"), 3);
 * assertEquals(utf8ByteLength("🛰"), 4);
 * assertEquals(utf8ByteLength("\ud800"), 3);
 * ```
 */
export function utf8ByteLength(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) continue;
    if (unit < 0x800) {
      bytes += 1;
    } else if (
      unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length &&
      (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00
    ) {
      // A surrogate pair: two code units, four bytes.
      bytes += 2;
      i++;
    } else {
      bytes += 2;
    }
  }
  return bytes;
}

/**
 * Reports whether `text` takes more than `maxBytes` bytes in UTF-8. Each
 * UTF-16 code unit takes one to three bytes, so most frames are decided by
 * their length alone.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { exceedsBytes } from "./frame_size.ts";
 *
 * assertEquals(exceedsBytes("é".repeat(600), 1024), true);
 * assertEquals(exceedsBytes("e".repeat(600), 1024), false);
 * ```
 */
export function exceedsBytes(text: string, maxBytes: number): boolean {
  if (text.length > maxBytes) return true;
  if (text.length * 3 <= maxBytes) return false;
  return utf8ByteLength(text) > maxBytes;
}
