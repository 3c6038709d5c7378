/**
 * Test helpers for byte strings: random fill beyond getRandomValues' 64 KiB,
 * and a search for a key's bytes in a file's.
 *
 * @module
 */

/** `length` random bytes (getRandomValues fills at most 64 KiB a call). */
export function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i += 65_536) {
    crypto.getRandomValues(bytes.subarray(i, i + 65_536));
  }
  return bytes;
}

/** Whether `needle` occurs in `haystack`. */
export function includesBytes(
  haystack: Uint8Array,
  needle: Uint8Array,
): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (haystack[i + j] !== needle[j]) continue outer;
    }
    return true;
  }
  return false;
}
