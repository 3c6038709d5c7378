/**
 * Exact negacyclic convolution of 0/1 vectors by a floating-point FFT, for
 * Toeplitz privacy amplification at block scale.
 *
 * Method: since x^L + 1 = (x^N − i)(x^N + i) for L = 2N, and for real
 * vectors the half modulo x^N + i is the complex conjugate of the half modulo
 * x^N − i, a product modulo x^L + 1 needs only the latter: a mod (x^N − i) is
 * the complex vector a_j + i·a_{j+N}, and the product comes back the same
 * way, r_j + i·r_{j+N}. So one complex transform of N = L/2 points per
 * operand and one back, with no weighting pass and no split step: the
 * transform evaluates at the N roots of x^N − i directly, splitting each
 * block's x^{rq} − γ into the r factors x^q − η·ω^k (η^r = γ, ω = e^{2πi/r})
 * level by level. Levels are radix 4 (one radix 2 where log2 N is odd, and
 * one radix 3 on top for N = 3·2^k, which lets 10^6-bit blocks use
 * 1.5·2^20 points rather than 2^21); a block's twiddles η, η², η³ are one
 * load each per block, from tables cached per N.
 *
 * Exactness: every level multiplies each block by √r times a unitary matrix
 * (the r-point DFT times diag(1, η, …, η^{r−1})), so the rounding error made
 * at one level is carried by the later ones without growth, which is what
 * Percival, "Rapid multiplication modulo the sum and difference of highly
 * composite numbers", Math. Comp. 72 (2003) 387–395, uses to bound every
 * coefficient of a computed convolution x ⊛ y by
 * ‖x‖·‖y‖·((1+ε)^{3n}(1+ε√5)^{3n+1}(1+β)^{3n} − 1), ε = 2^−53, n levels
 * each doing one complex addition and at most one multiplication by a
 * twiddle within β of the true root. A radix-4 level, whose outputs each take
 * two additions and one twiddle product, counts as two such levels; the
 * radix-3 one (three additions, a twiddle and √3/2) as three; so n ≤ log2 L
 * + 2. Entries of x and y are 0, 1, i or 1 + i, so ‖x‖·‖y‖ ≤ 2N = L, and
 * β < 2·10^−15: each twiddle is one rounded product of two roots that are
 * `Math.cos`/`Math.sin` (within an ulp) of an angle below π/4 computed with
 * three roundings, the rest of the circle by exact symmetries (each root
 * within 5·10^−16). At the largest length accepted, L = 2^26 (n ≤ 28), the
 * error is below 2^26·(84·ε + 85·√5·ε + 84·β + ε) < 2·10^−5, counting the
 * last multiplication by 1/N (higher-order terms are under 10^−20): rounding
 * each coefficient to the nearest integer gives the exact integer
 * convolution, whose parity is the product over GF(2). Each rounded
 * coefficient is still checked to lie within 1/4 of an integer, so that a
 * fault throws rather than returning a wrong key.
 *
 * Why not an NTT: measured on the 2-core bench machine, one 2^21-point pass
 * took 750 ms as a 32-bit NTT mod 15·2^27 + 1 (products split into a double
 * quotient and `Math.imul`) and 240 ms as a double-precision NTT mod
 * 25·2^22 + 1 (which also stops at 2^22 points, too short for 10^7 bits),
 * against about 100 ms for a first complex FFT of that length. A word-packed
 * Karatsuba over GF(2)[x] was not tried: JavaScript has no carry-less
 * multiply, so each 32×32-bit product costs dozens of operations.
 *
 * @module
 */

import type { BitString } from "./bits.ts";
import { buildLevels, type Level, transformLevel } from "./fft_levels.ts";

/** Largest convolution length {@linkcode convolveBits} accepts (exactness). */
export const MAX_FFT_LENGTH = 1 << 26;

/**
 * The smallest convolution length {@linkcode convolveBits} accepts that is at
 * least `minimum`: 2^k or 3·2^k, k ≥ 1.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { convolutionLength } from "./fft.ts";
 *
 * assertEquals(convolutionLength(1_499_999), 1_572_864); // 3·2^19
 * assertEquals(convolutionLength(1_600_000), 2_097_152); // 2^21
 * ```
 */
export function convolutionLength(minimum: number): number {
  let power = 2;
  while (power < minimum) power *= 2;
  return power >= 8 && (power / 4) * 3 >= minimum ? (power / 4) * 3 : power;
}

/** A length's twiddle tables and the two operands' buffers. */
interface Plan {
  levels: Level[];
  x: Float64Array;
  y: Float64Array;
}

/**
 * Lengths up to this many points keep their plan for the next call (at most
 * one: 38 MB for 10^6-bit blocks): building the tables and touching fresh
 * buffers cost about as much as the transforms.
 */
const CACHED_POINTS = 1 << 20;
let cached: Plan | undefined;

function planFor(n: number): Plan {
  if (cached?.x.length === 2 * n) return cached;
  const plan = {
    levels: buildLevels(n),
    x: new Float64Array(2 * n),
    y: new Float64Array(2 * n),
  };
  if (n <= CACHED_POINTS) cached = plan;
  return plan;
}

/**
 * Blocks of this many points or fewer run all their levels at once, in cache
 * (16 bytes a point); larger ones recurse on their parts, so each point
 * crosses main memory a few times rather than once per level.
 */
const BLOCK = 1 << 12;

function forward(x: Float64Array, levels: Level[], depth: number, lo: number) {
  const size = depth < levels.length ? levels[depth].size : 1;
  if (size <= BLOCK) {
    for (let d = depth; d < levels.length; d++) {
      transformLevel(x, levels[d], { lo, hi: lo + size });
    }
    return;
  }
  const level = levels[depth], part = size / level.radix;
  transformLevel(x, level, { lo, hi: lo + size });
  for (let k = 0; k < level.radix; k++) {
    forward(x, levels, depth + 1, lo + k * part);
  }
}

/**
 * Given `x` transformed, transforms `y` and takes `x` back times N·y, in one
 * recursion: each cache-sized block of `y` is transformed, multiplied into
 * `x` and the product's block taken back while it is in cache.
 */
function multiplyBack(
  x: Float64Array,
  y: Float64Array,
  levels: Level[],
  depth: number,
  lo: number,
) {
  const size = depth < levels.length ? levels[depth].size : 1;
  if (size <= BLOCK) {
    for (let d = depth; d < levels.length; d++) {
      transformLevel(y, levels[d], { lo, hi: lo + size });
    }
    for (let p = 2 * lo; p < 2 * (lo + size); p += 2) {
      const r = x[p], i = x[p + 1], s = y[p], t = y[p + 1];
      x[p] = r * s - i * t;
      x[p + 1] = r * t + i * s;
    }
    for (let d = levels.length - 1; d >= depth; d--) {
      transformLevel(x, levels[d], { lo, hi: lo + size, inverse: true });
    }
    return;
  }
  const level = levels[depth], part = size / level.radix;
  transformLevel(y, level, { lo, hi: lo + size });
  for (let k = 0; k < level.radix; k++) {
    multiplyBack(x, y, levels, depth + 1, lo + k * part);
  }
  transformLevel(x, level, { lo, hi: lo + size, inverse: true });
}

/** The 32 bits from bit `start` on, zero past `length`. */
function bitsAt(words: Uint32Array, length: number, start: number): number {
  if (start >= length) return 0;
  const k = start >>> 5, shift = start & 31;
  let v = words[k] >>> shift;
  if (shift !== 0 && k + 1 < words.length) v |= words[k + 1] << (32 - shift);
  return length - start < 32 ? v & ((1 << (length - start)) - 1) : v;
}

/** `bits` mod x^n − i into `x`: point j is bit j + i·bit (j + n). */
function load(bits: BitString, n: number, x: Float64Array): void {
  const { words, length } = bits;
  for (let j = 0; j < n; j += 32) {
    const re = bitsAt(words, length, j), im = bitsAt(words, length, j + n);
    const end = 2 * (j + 32 < n ? j + 32 : n);
    for (let p = 2 * j, t = 0; p < end; p += 2, t++) {
      x[p] = (re >>> t) & 1;
      x[p + 1] = (im >>> t) & 1;
    }
  }
}

/** Which coefficients of the product {@linkcode convolveBits} returns. */
export interface ConvolveOptions {
  /** L: the product is taken modulo x^L + 1; see {@linkcode convolutionLength}. */
  length: number;
  /** First coefficient returned (default 0). */
  from?: number;
  /** How many (default all from `from` to L − 1). */
  count?: number;
}

/**
 * Coefficients `from` to `from + count − 1` of a(x)·b(x) mod (x^L + 1) for
 * 0/1 vectors `a` and `b` of at most L bits each, exact integers: coefficient
 * k is Σ a_j·b_{k−j} over j ≤ k minus Σ a_j·b_{k−j+L} over j > k. Where
 * L ≥ a.length + b.length − 1 − k no term wraps, and k is a coefficient of
 * the plain product.
 *
 * @throws {RangeError} if L is not 2^k or 3·2^k (k ≥ 1), exceeds
 * {@linkcode MAX_FFT_LENGTH}, or is shorter than an operand or the window.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { convolveBits } from "./fft.ts";
 *
 * // (1 + x)(1 + x + x²) = 1 + 2x + 2x² + x³
 * const a = { words: Uint32Array.of(0b11), length: 2 };
 * const b = { words: Uint32Array.of(0b111), length: 3 };
 * assertEquals([...convolveBits(a, b, { length: 4 })], [1, 2, 2, 1]);
 * // Modulo x² + 1, where x² = −1: (1 + x)² = 1 + 2x + x² = 2x.
 * assertEquals([...convolveBits(a, a, { length: 2 })], [0, 2]);
 * ```
 */
export function convolveBits(
  a: BitString,
  b: BitString,
  options: ConvolveOptions,
): Float64Array {
  const { length, from = 0, count = length - from } = options;
  if (
    convolutionLength(length) !== length || length > MAX_FFT_LENGTH ||
    a.length > length || b.length > length || from < 0 || count < 0 ||
    from + count > length
  ) {
    throw new RangeError(`cannot convolve in length ${length}`);
  }
  const n = length / 2, { levels, x, y } = planFor(n);
  load(a, n, x);
  load(b, n, y);
  forward(x, levels, 0, 0);
  multiplyBack(x, y, levels, 0, 0);
  const scale = 1 / n, out = new Float64Array(count);
  // Coefficient j < n is the real part of point j, j ≥ n the imaginary
  // part of point j − n.
  let worst = 0;
  let p = from < n ? 2 * from : 2 * (from - n) + 1;
  for (let k = 0; k < count; k++, p += 2) {
    if (p === 2 * n) p = 1;
    const v = x[p] * scale, rounded = Math.round(v);
    out[k] = rounded;
    worst = Math.max(worst, Math.abs(v - rounded));
  }
  if (!(worst <= 0.25)) {
    throw new Error("FFT rounding error past its proven bound");
  }
  return out;
}
