/**
 * Privacy amplification with a random Toeplitz matrix, a 2-universal hash
 * family: by the leftover hash lemma, hashing n bits of which Eve knows at
 * most n - s down to s - 2·log2(1/ε) bits leaves her ε-close to nothing.
 *
 * @module
 */

import { type BitString, popcount32 } from "./bits.ts";
import { convolveBits } from "./fft.ts";

/**
 * Cost of one FFT butterfly in direct-product bit operations, measured on the
 * 2-core bench machine: 12,000 × 6,000 bits took 3.6 ms either way
 * (n·m = 146·L·log2 L, L = 2^15), while 60,000 × 6,000 (162·L·log2 L) took
 * 14.5 ms direct and 10.9 ms by FFT. {@linkcode toeplitzHash} uses the FFT
 * when n·m > FFT_COST_RATIO · L·log2(L), so the KMS's few-thousand-bit
 * blocks stay direct and 10^6-bit blocks take the FFT.
 */
export const FFT_COST_RATIO = 160;

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
  const size = fftLength(toeplitzSeedBits(input.length, outputBits));
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

function fftLength(seedBits: number): number {
  let size = 1;
  while (size < seedBits) size *= 2;
  return size;
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
 * the power of two at least the seed's m + r - 1 bits (r output bits). A
 * cyclic product of that length suffices: the terms that wrap around land
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
  const size = fftLength(seedBits);
  const a = new Float64Array(size), b = new Float64Array(size);
  for (let k = 0; k < seedBits; k++) a[k] = (seed[k >>> 5] >>> (k & 31)) & 1;
  for (let j = 0; j < m; j++) b[j] = (input.words[j >>> 5] >>> (j & 31)) & 1;
  const product = convolveBits(a, b);
  const out = new Uint32Array((outputBits + 31) >>> 5);
  for (let i = 0; i < outputBits; i++) {
    out[i >>> 5] |= (product[i + m - 1] & 1) << (i & 31);
  }
  return out;
}
