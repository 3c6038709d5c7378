/**
 * Privacy amplification with a random Toeplitz matrix, a 2-universal hash
 * family: by the leftover hash lemma, hashing n bits of which Eve knows at
 * most n - s down to s - 2·log2(1/ε) bits leaves her ε-close to nothing.
 *
 * @module
 */

import { type BitString, popcount32 } from "./bits.ts";
import { convolutionLength, convolveBits } from "./fft.ts";

/**
 * Cost of the FFT per L·log2(L) in direct-product bit operations, measured on
 * the 2-core bench machine: 2,000 × 1,000 bits took 0.12 ms either way
 * (n·m = 56·L·log2 L, L = 3072), while 4,000 × 2,000 (103·L·log2 L) took
 * 1.04 ms direct and 0.29 ms by FFT. {@linkcode toeplitzHash} uses the FFT
 * when n·m > FFT_COST_RATIO · L·log2(L), so the KMS's few-thousand-bit
 * blocks stay direct and 10^5-bit blocks and up take the FFT.
 */
export const FFT_COST_RATIO = 60;

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
  const size = convolutionLength(toeplitzSeedBits(input.length, outputBits));
  return input.length * outputBits <= FFT_COST_RATIO * size * Math.log2(size)
    ? toeplitzHashDirect(input, outputBits, seed)
    : toeplitzHashFft(input, outputBits, seed);
}

function checkSeed(
  input: BitString,
  outputBits: number,
  seed: Uint32Array,
): number {
  const seedBits = toeplitzSeedBits(input.length, outputBits);
  if (seed.length * 32 < seedBits) {
    throw new RangeError("Toeplitz seed too short");
  }
  return seedBits;
}

/**
 * {@linkcode toeplitzHash} by the matrix product itself, word-packed:
 * O(m·r / 32) word operations for m input and r output bits.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import {
 *   toeplitzHashDirect,
 *   toeplitzHashFft,
 * } from "./privacy_amplification.ts";
 * import { cryptoWords } from "./random.ts";
 *
 * const input = { words: cryptoWords(4), length: 100 };
 * const seed = cryptoWords(5);
 * assertEquals(
 *   toeplitzHashDirect(input, 40, seed),
 *   toeplitzHashFft(input, 40, seed),
 * );
 * ```
 */
export function toeplitzHashDirect(
  input: BitString,
  outputBits: number,
  seed: Uint32Array,
): Uint32Array {
  checkSeed(input, outputBits, seed);
  const m = input.length;
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

/**
 * {@linkcode toeplitzHash} as a slice of a polynomial product: for m input
 * bits, output bit i is the parity of coefficient i + m - 1 of
 * seed(x)·input(x) over the integers, computed exactly by a floating-point
 * FFT (see fft.ts for the error bound and why not an NTT) in O(L log L), L
 * the smallest 2^k or 3·2^k at least the seed's m + r - 1 bits (r output
 * bits). A product modulo x^L + 1 suffices: the terms that wrap around land
 * below index m - 1, outside the slice.
 *
 * @throws {RangeError} if the seed is too short, or if m + r - 1 exceeds
 * 2^26 (`MAX_FFT_LENGTH` in fft.ts), past which exactness is not proven.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { toeplitzHashFft } from "./privacy_amplification.ts";
 *
 * // Input 1 (one bit) against seed bits 1,0,1 gives the seed's three bits.
 * const one = { words: Uint32Array.of(1), length: 1 };
 * const out = toeplitzHashFft(one, 3, Uint32Array.of(0b101));
 * assertEquals(out, Uint32Array.of(0b101));
 * ```
 */
export function toeplitzHashFft(
  input: BitString,
  outputBits: number,
  seed: Uint32Array,
): Uint32Array {
  const m = input.length;
  const seedBits = checkSeed(input, outputBits, seed);
  const out = new Uint32Array((outputBits + 31) >>> 5);
  if (m === 0 || outputBits === 0) return out;
  const product = convolveBits(input, { words: seed, length: seedBits }, {
    length: convolutionLength(seedBits),
    from: m - 1,
    count: outputBits,
  });
  for (let i = 0; i < outputBits; i++) {
    out[i >>> 5] |= (product[i] & 1) << (i & 31);
  }
  return out;
}
