/**
 * Randomness for the simulation.
 *
 * Two sources with two jobs: {@linkcode cryptoWords} draws from the operating
 * system's CSPRNG for everything that becomes key material (Alice's bits),
 * while {@linkcode Xoshiro128} is a fast seeded generator for the simulated
 * physics (bases, Eve's choices, channel noise, sampling). The simulated
 * physics needs statistical quality, not secrecy; the seed itself comes from
 * the CSPRNG so runs never repeat.
 *
 * @module
 */

import { clearTail } from "./bits.ts";

/** Largest `getRandomValues` request in words (the API caps it at 64 KiB). */
const CRYPTO_CHUNK_WORDS = 16384;

/**
 * Fills a new array with `count` 32-bit words from the CSPRNG.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { cryptoWords } from "./random.ts";
 *
 * assertEquals(cryptoWords(4).length, 4);
 * ```
 */
export function cryptoWords(count: number): Uint32Array {
  const out = new Uint32Array(count);
  for (let i = 0; i < count; i += CRYPTO_CHUNK_WORDS) {
    crypto.getRandomValues(
      out.subarray(i, Math.min(count, i + CRYPTO_CHUNK_WORDS)),
    );
  }
  return out;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * xoshiro128** (Blackman and Vigna), a small fast generator with 128 bits of
 * state, for the simulated physics.
 *
 * @example
 * ```ts
 * import { assert, assertEquals } from "@std/assert";
 * import { Xoshiro128 } from "./random.ts";
 *
 * const die = new Xoshiro128().below(6) + 1;
 * assert(die >= 1 && die <= 6);
 * const seed = Uint32Array.of(1, 2, 3, 4);
 * assertEquals(new Xoshiro128(seed).next(), new Xoshiro128(seed).next());
 * ```
 */
export class Xoshiro128 {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  /** Seeds from four words, or from the CSPRNG when none are given. */
  constructor(seed: Uint32Array = cryptoWords(4)) {
    if (seed.length < 4) throw new RangeError("xoshiro128 needs 4 seed words");
    this.#s0 = seed[0] | 0;
    this.#s1 = seed[1] | 0;
    this.#s2 = seed[2] | 0;
    this.#s3 = seed[3] | 0;
    // An all-zero state would stay zero forever.
    if ((this.#s0 | this.#s1 | this.#s2 | this.#s3) === 0) this.#s0 = 1;
  }

  /** Next unsigned 32-bit word. */
  next(): number {
    const s1 = this.#s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    return result;
  }

  /** Fills `out` with random words; the hot loop keeps state in locals. */
  fill(out: Uint32Array): Uint32Array {
    let s0 = this.#s0, s1 = this.#s1, s2 = this.#s2, s3 = this.#s3;
    for (let i = 0; i < out.length; i++) {
      out[i] = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
    }
    this.#s0 = s0;
    this.#s1 = s1;
    this.#s2 = s2;
    this.#s3 = s3;
    return out;
  }

  /** Uniform float in the open interval (0, 1]: never 0, so `Math.log` is finite. */
  unit(): number {
    return (this.next() + 1) / 4294967296;
  }

  /** Uniform integer in [0, n) for 1 <= n <= 2^32. */
  below(n: number): number {
    return Math.floor((this.next() / 4294967296) * n);
  }
}

/**
 * Sets each of the first `nBits` bits of a new word array independently with
 * probability `p`.
 *
 * Geometric skipping draws one random number per set bit instead of one per
 * bit, so sparse masks (channel noise of a few percent) cost little.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { bernoulliMask, Xoshiro128 } from "./random.ts";
 *
 * assertEquals(bernoulliMask(64, 1, new Xoshiro128()), Uint32Array.of(-1, -1));
 * assertEquals(bernoulliMask(64, 0, new Xoshiro128()), Uint32Array.of(0, 0));
 * ```
 */
export function bernoulliMask(
  nBits: number,
  p: number,
  rng: Xoshiro128,
): Uint32Array {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`probability ${p} not in 0..1`);
  const words = new Uint32Array((nBits + 31) >>> 5);
  if (p === 0) return words;
  const invert = p > 0.5;
  if (invert) {
    words.fill(0xffffffff);
    clearTail(words, nBits);
  }
  const q = invert ? 1 - p : p;
  if (q === 0) return words;
  const logKeep = Math.log1p(-q);
  for (let pos = -1;;) {
    pos += 1 + Math.floor(Math.log(rng.unit()) / logKeep);
    if (pos >= nBits) break;
    words[pos >>> 5] ^= 1 << (pos & 31);
  }
  return words;
}
