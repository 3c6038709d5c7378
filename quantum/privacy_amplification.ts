/**
 * Privacy amplification with a random Toeplitz matrix, a 2-universal hash
 * family: by the leftover hash lemma, hashing n bits of which Eve knows at
 * most n - s down to s - 2·log2(1/ε) bits leaves her ε-close to nothing.
 *
 * @module
 */

import { type BitString, popcount32 } from "./bits.ts";

/** Seed bits a Toeplitz matrix of `outputBits` × `inputBits` needs. */
export function toeplitzSeedBits(
  inputBits: number,
  outputBits: number,
): number {
  return inputBits + outputBits - 1;
}

/**
 * Multiplies `input` by the Toeplitz matrix defined by `seed` over GF(2):
 * T[i][j] = seed[i - j + m - 1], so output bit i is the parity of the seed
 * window starting at bit i against the input read backwards.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { toeplitzHash } from "./privacy_amplification.ts";
 * import { cryptoWords } from "./random.ts";
 *
 * const input = { words: cryptoWords(32), length: 1024 };
 * const out = toeplitzHash(input, 256, cryptoWords(40));
 * assertEquals(out.length, 256 / 32);
 * ```
 */
export function toeplitzHash(
  input: BitString,
  outputBits: number,
  seed: Uint32Array,
): Uint32Array {
  const m = input.length;
  if (seed.length * 32 < toeplitzSeedBits(m, outputBits)) {
    throw new RangeError("Toeplitz seed too short");
  }
  const nWords = (m + 31) >>> 5;
  const reversed = new Uint32Array(nWords);
  for (let j = 0; j < m; j++) {
    const bit = (input.words[j >>> 5] >>> (j & 31)) & 1;
    const r = m - 1 - j;
    reversed[r >>> 5] |= bit << (r & 31);
  }
  // The window at bit i is the seed shifted by i & 31, starting at word
  // i >>> 5: with the 32 shifts made once, each word of a window is one load.
  // One table for all 32 (row `shift` at shift * stride): a single
  // allocation, which matters at the KMS's key sizes.
  const stride = seed.length + 1;
  const shifted = new Uint32Array(32 * stride);
  for (let shift = 0; shift < 32; shift++) {
    const row = shift * stride;
    for (let w = 0; w < seed.length; w++) {
      const next = w + 1 < seed.length ? seed[w + 1] : 0;
      shifted[row + w] = shift === 0
        ? seed[w]
        : (seed[w] >>> shift) | (next << (32 - shift));
    }
  }
  const out = new Uint32Array((outputBits + 31) >>> 5);
  for (let i = 0; i < outputBits; i++) {
    const start = (i & 31) * stride + (i >>> 5);
    let acc = 0;
    for (let k = 0; k < nWords; k++) acc ^= shifted[start + k] & reversed[k];
    out[i >>> 5] |= (popcount32(acc) & 1) << (i & 31);
  }
  return out;
}
