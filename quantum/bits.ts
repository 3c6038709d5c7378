/**
 * Packed bit strings: 32 bits to a word, bit `i` at `words[i >>> 5] >>> (i & 31)`.
 *
 * The simulation works on whole words so that one bitwise operation handles
 * 32 qubits at once.
 *
 * @module
 */

/** A packed string of `length` bits; bits beyond `length` are zero. */
export interface BitString {
  /** The packed bits, least significant bit first. */
  words: Uint32Array;
  /** How many bits are in use. */
  length: number;
}

/**
 * Number of set bits in a 32-bit word.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { popcount32 } from "./bits.ts";
 *
 * assertEquals(popcount32(0xff00ff00), 16);
 * ```
 */
export function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Number of set bits in a word array. */
export function popcount(words: Uint32Array): number {
  let total = 0;
  for (let i = 0; i < words.length; i++) total += popcount32(words[i]);
  return total;
}

/** Clears the bits of the last word that lie beyond `nBits`. */
export function clearTail(words: Uint32Array, nBits: number): void {
  const rest = nBits & 31;
  if (rest !== 0 && words.length > 0) {
    words[words.length - 1] &= (1 << rest) - 1;
  }
}

/** Reads bit `i`. */
export function getBit(words: Uint32Array, i: number): number {
  return (words[i >>> 5] >>> (i & 31)) & 1;
}

// Lookup tables for byte-wise bit extraction (software PEXT): for a mask byte
// m and a data byte d, EXTRACT[m << 8 | d] packs the bits of d selected by m.
const EXTRACT = new Uint8Array(65536);
const POPCOUNT8 = new Uint8Array(256);
for (let m = 0; m < 256; m++) {
  POPCOUNT8[m] = popcount32(m);
  for (let d = 0; d < 256; d++) {
    let out = 0;
    for (let bit = 0, k = 0; bit < 8; bit++) {
      if ((m >>> bit) & 1) out |= ((d >>> bit) & 1) << k++;
    }
    EXTRACT[(m << 8) | d] = out;
  }
}

/**
 * Keeps the bits of each source where `mask` is set, packed in order: the
 * sifting step (and the removal of sampled bits) in one pass for several
 * strings that share a mask.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { extractBits } from "./bits.ts";
 *
 * const mask = Uint32Array.of(0b1110);
 * const [kept] = extractBits(mask, Uint32Array.of(0b1010), 4);
 * assertEquals(kept.length, 3);
 * assertEquals(kept.words[0], 0b101);
 * ```
 */
export function extractBits(
  mask: Uint32Array,
  sources: Uint32Array | Uint32Array[],
  nBits: number,
): BitString[] {
  const list = Array.isArray(sources) ? sources : [sources];
  const nWords = (nBits + 31) >>> 5;
  const maskWords = mask.slice(0, nWords);
  clearTail(maskWords, nBits);
  const kept = popcount(maskWords);
  return list.map((source) => ({
    words: extractOne(maskWords, source, nWords).subarray(0, (kept + 31) >>> 5),
    length: kept,
  }));
}

function extractOne(
  mask: Uint32Array,
  source: Uint32Array,
  nWords: number,
): Uint32Array {
  const out = new Uint32Array(nWords);
  let o = 0;
  let acc = 0;
  let accLen = 0;
  for (let w = 0; w < nWords; w++) {
    const m = mask[w];
    if (m === 0) continue;
    const d = source[w];
    for (let shift = 0; shift < 32; shift += 8) {
      const mb = (m >>> shift) & 0xff;
      if (mb === 0) continue;
      const v = EXTRACT[(mb << 8) | ((d >>> shift) & 0xff)];
      const count = POPCOUNT8[mb];
      if (accLen + count >= 32) {
        // accLen >= 24 here, so the shifts below stay within 1..8.
        out[o++] = acc | (v << accLen);
        acc = v >>> (32 - accLen);
        accLen = accLen + count - 32;
      } else {
        acc |= v << accLen;
        accLen += count;
      }
    }
  }
  if (accLen > 0) out[o] = acc;
  return out;
}

/**
 * Copies the first `nBytes * 8` bits into bytes, least significant bit first.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { bitsToBytes } from "./bits.ts";
 *
 * assertEquals(bitsToBytes(Uint32Array.of(0x04030201), 2), Uint8Array.of(1, 2));
 * ```
 */
export function bitsToBytes(words: Uint32Array, nBytes: number): Uint8Array {
  const out = new Uint8Array(nBytes);
  for (let i = 0; i < nBytes; i++) {
    out[i] = (words[i >>> 2] >>> ((i & 3) * 8)) & 0xff;
  }
  return out;
}
