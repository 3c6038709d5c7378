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
 * β < 10^−15: each twiddle is `Math.cos`/`Math.sin` (within an ulp) of an
 * angle below π/4 computed with three roundings, the rest of the circle by
 * exact symmetries. At the largest length accepted, L = 2^26 (n ≤ 28), the
 * error is below 2^26·(84·ε + 85·√5·ε + 84·β + ε) < 10^−5, counting the
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

/** One level of the transform: blocks of `size` points split `radix` ways. */
interface Level {
  radix: number;
  size: number;
  /** Per block, η^1..η^{radix−1} as (cos, sin) pairs. */
  twiddles: Float64Array;
}

/** e^{2πi·e/(4n)} by octant reduction, so only angles ≤ π/4 reach `Math`. */
function root(e: number, n: number, out: Float64Array, at: number): void {
  const quadrant = Math.floor(e / n) & 3, r = e % n;
  const flip = 2 * r > n, angle = (Math.PI / 2) * ((flip ? n - r : r) / n);
  let c = Math.cos(angle), s = Math.sin(angle);
  if (flip) [c, s] = [s, c];
  // Times i^quadrant.
  for (let q = 0; q < quadrant; q++) [c, s] = [-s, c];
  out[at] = c;
  out[at + 1] = s;
}

/**
 * ζ^e for ζ = e^{2πi/(4n)} as ζ^{e − e mod K}·ζ^{e mod K} from two tables
 * of about √(4n) roots each (a table of all n twiddles by `Math` took 1.3 s
 * at n = 2^23); the product adds under 3·ε to the error of its factors.
 */
function rootTable(
  n: number,
): (e: number, out: Float64Array, at: number) => void {
  let k = 1;
  while (k * k < 4 * n) k *= 2;
  const fine = new Float64Array(2 * k),
    coarse = new Float64Array(2 * Math.ceil((4 * n) / k));
  for (let e = 0; e < k; e++) root(e, n, fine, 2 * e);
  for (let h = 0; h * k < 4 * n; h++) root(h * k, n, coarse, 2 * h);
  return (e, out, at) => {
    const h = 2 * Math.floor(e / k), f = 2 * (e % k);
    const a = coarse[h], b = coarse[h + 1], c = fine[f], d = fine[f + 1];
    out[at] = a * c - b * d;
    out[at + 1] = a * d + b * c;
  };
}

function buildLevels(n: number): Level[] {
  const radices: number[] = [];
  let rest = n;
  if (rest % 3 === 0) {
    radices.push(3);
    rest /= 3;
  }
  if ((31 - Math.clz32(rest)) % 2 === 1) {
    radices.push(2);
    rest /= 2;
  }
  for (; rest > 1; rest /= 4) radices.push(4);
  const levels: Level[] = [], zeta = rootTable(n);
  // Each block is x^size − ζ^e, ζ = e^{2πi/(4n)}; the whole is x^n − i.
  let exponents = Int32Array.of(n), size = n;
  for (const radix of radices) {
    const twiddles = new Float64Array(exponents.length * (radix - 1) * 2);
    const next = new Int32Array(exponents.length * radix);
    // The radix-th roots of unity as powers of ζ, in output order.
    const turns = radix === 4
      ? [0, 2 * n, n, 3 * n]
      : radix === 2
      ? [0, 2 * n]
      : [0, (4 * n) / 3, (8 * n) / 3];
    for (let b = 0; b < exponents.length; b++) {
      const eta = exponents[b] / radix;
      for (let j = 1; j < radix; j++) {
        zeta((j * eta) % (4 * n), twiddles, 2 * (b * (radix - 1) + j - 1));
      }
      for (let k = 0; k < radix; k++) {
        next[b * radix + k] = (eta + turns[k]) % (4 * n);
      }
    }
    levels.push({ radix, size, twiddles });
    exponents = next;
    size /= radix;
  }
  return levels;
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

/** x^{4q} − γ into x^q − η, x^q + η, x^q − iη, x^q + iη on [lo, hi). */
function forward4(x: Float64Array, level: Level, lo: number, hi: number) {
  const { size, twiddles: w } = level, q2 = size >>> 1;
  for (
    let block = 2 * lo, t = (lo / size) * 6;
    block < 2 * hi;
    block += 2 * size, t += 6
  ) {
    const c1 = w[t], s1 = w[t + 1], c2 = w[t + 2], s2 = w[t + 3];
    const c3 = w[t + 4], s3 = w[t + 5];
    for (let p = block, end = block + q2; p < end; p += 2) {
      const pb = p + q2, pc = pb + q2, pd = pc + q2;
      const ar = x[p], ai = x[p + 1];
      let r = x[pb], i = x[pb + 1];
      const br = r * c1 - i * s1, bi = r * s1 + i * c1;
      r = x[pc], i = x[pc + 1];
      const cr = r * c2 - i * s2, ci = r * s2 + i * c2;
      r = x[pd], i = x[pd + 1];
      const dr = r * c3 - i * s3, di = r * s3 + i * c3;
      const er = ar + cr, ei = ai + ci, fr = ar - cr, fi = ai - ci;
      const gr = br + dr, gi = bi + di, hr = br - dr, hi_ = bi - di;
      x[p] = er + gr;
      x[p + 1] = ei + gi;
      x[pb] = er - gr;
      x[pb + 1] = ei - gi;
      // f ± i·h
      x[pc] = fr - hi_;
      x[pc + 1] = fi + hr;
      x[pd] = fr + hi_;
      x[pd + 1] = fi - hr;
    }
  }
}

/** The inverse of {@linkcode forward4}, times 4. */
function inverse4(x: Float64Array, level: Level, lo: number, hi: number) {
  const { size, twiddles: w } = level, q2 = size >>> 1;
  for (
    let block = 2 * lo, t = (lo / size) * 6;
    block < 2 * hi;
    block += 2 * size, t += 6
  ) {
    const c1 = w[t], s1 = w[t + 1], c2 = w[t + 2], s2 = w[t + 3];
    const c3 = w[t + 4], s3 = w[t + 5];
    for (let p = block, end = block + q2; p < end; p += 2) {
      const pb = p + q2, pc = pb + q2, pd = pc + q2;
      const y0r = x[p], y0i = x[p + 1], y1r = x[pb], y1i = x[pb + 1];
      const y2r = x[pc], y2i = x[pc + 1], y3r = x[pd], y3i = x[pd + 1];
      const er = y0r + y1r, ei = y0i + y1i, fr = y0r - y1r, fi = y0i - y1i;
      const gr = y2r + y3r, gi = y2i + y3i;
      // −i·(y2 − y3)
      const hr = y2i - y3i, hi_ = y3r - y2r;
      x[p] = er + gr;
      x[p + 1] = ei + gi;
      // Times the conjugate twiddles.
      let r = fr + hr, i = fi + hi_;
      x[pb] = r * c1 + i * s1;
      x[pb + 1] = i * c1 - r * s1;
      r = er - gr, i = ei - gi;
      x[pc] = r * c2 + i * s2;
      x[pc + 1] = i * c2 - r * s2;
      r = fr - hr, i = fi - hi_;
      x[pd] = r * c3 + i * s3;
      x[pd + 1] = i * c3 - r * s3;
    }
  }
}

/** x^{2q} − γ into x^q − δ, x^q + δ; `sign` −1 for the inverse (times 2). */
function level2(
  x: Float64Array,
  level: Level,
  lo: number,
  hi: number,
  sign: number,
) {
  const { size, twiddles: w } = level, h2 = size;
  for (
    let block = 2 * lo, t = (lo / size) * 2;
    block < 2 * hi;
    block += 2 * size, t += 2
  ) {
    const c = w[t], s = sign * w[t + 1];
    for (let p = block, end = block + h2; p < end; p += 2) {
      const pb = p + h2;
      if (sign > 0) {
        const r = x[pb], i = x[pb + 1];
        const br = r * c - i * s, bi = r * s + i * c, ar = x[p], ai = x[p + 1];
        x[p] = ar + br;
        x[p + 1] = ai + bi;
        x[pb] = ar - br;
        x[pb + 1] = ai - bi;
      } else {
        const ar = x[p], ai = x[p + 1], br = x[pb], bi = x[pb + 1];
        x[p] = ar + br;
        x[p + 1] = ai + bi;
        const r = ar - br, i = ai - bi;
        x[pb] = r * c - i * s;
        x[pb + 1] = r * s + i * c;
      }
    }
  }
}

const HALF_SQRT3 = Math.sqrt(3) / 2;

/** x^{3q} − γ into x^q − η·ω^k, ω = e^{2πi/3}. */
function forward3(x: Float64Array, level: Level, lo: number, hi: number) {
  const { size, twiddles: w } = level, q2 = (2 * size) / 3;
  for (
    let block = 2 * lo, t = (lo / size) * 4;
    block < 2 * hi;
    block += 2 * size, t += 4
  ) {
    const c1 = w[t], s1 = w[t + 1], c2 = w[t + 2], s2 = w[t + 3];
    for (let p = block, end = block + q2; p < end; p += 2) {
      const pb = p + q2, pc = pb + q2;
      let r = x[pb], i = x[pb + 1];
      const br = r * c1 - i * s1, bi = r * s1 + i * c1;
      r = x[pc], i = x[pc + 1];
      const cr = r * c2 - i * s2, ci = r * s2 + i * c2;
      const ar = x[p], ai = x[p + 1], sr = br + cr, si = bi + ci;
      const tr = ar - 0.5 * sr, ti = ai - 0.5 * si;
      // i·(√3/2)·(b − c)
      const ur = HALF_SQRT3 * (ci - bi), ui = HALF_SQRT3 * (br - cr);
      x[p] = ar + sr;
      x[p + 1] = ai + si;
      x[pb] = tr + ur;
      x[pb + 1] = ti + ui;
      x[pc] = tr - ur;
      x[pc + 1] = ti - ui;
    }
  }
}

/** The inverse of {@linkcode forward3}, times 3. */
function inverse3(x: Float64Array, level: Level, lo: number, hi: number) {
  const { size, twiddles: w } = level, q2 = (2 * size) / 3;
  for (
    let block = 2 * lo, t = (lo / size) * 4;
    block < 2 * hi;
    block += 2 * size, t += 4
  ) {
    const c1 = w[t], s1 = w[t + 1], c2 = w[t + 2], s2 = w[t + 3];
    for (let p = block, end = block + q2; p < end; p += 2) {
      const pb = p + q2, pc = pb + q2;
      const y0r = x[p], y0i = x[p + 1], y1r = x[pb], y1i = x[pb + 1];
      const y2r = x[pc], y2i = x[pc + 1];
      const sr = y1r + y2r, si = y1i + y2i;
      const tr = y0r - 0.5 * sr, ti = y0i - 0.5 * si;
      // −i·(√3/2)·(y1 − y2)
      const ur = HALF_SQRT3 * (y1i - y2i), ui = HALF_SQRT3 * (y2r - y1r);
      x[p] = y0r + sr;
      x[p + 1] = y0i + si;
      let r = tr + ur, i = ti + ui;
      x[pb] = r * c1 + i * s1;
      x[pb + 1] = i * c1 - r * s1;
      r = tr - ur, i = ti - ui;
      x[pc] = r * c2 + i * s2;
      x[pc + 1] = i * c2 - r * s2;
    }
  }
}

function forwardLevel(x: Float64Array, level: Level, lo: number, hi: number) {
  if (level.radix === 4) forward4(x, level, lo, hi);
  else if (level.radix === 2) level2(x, level, lo, hi, 1);
  else forward3(x, level, lo, hi);
}

function inverseLevel(x: Float64Array, level: Level, lo: number, hi: number) {
  if (level.radix === 4) inverse4(x, level, lo, hi);
  else if (level.radix === 2) level2(x, level, lo, hi, -1);
  else inverse3(x, level, lo, hi);
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
      forwardLevel(x, levels[d], lo, lo + size);
    }
    return;
  }
  const level = levels[depth], part = size / level.radix;
  forwardLevel(x, level, lo, lo + size);
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
      forwardLevel(y, levels[d], lo, lo + size);
    }
    for (let p = 2 * lo; p < 2 * (lo + size); p += 2) {
      const r = x[p], i = x[p + 1], s = y[p], t = y[p + 1];
      x[p] = r * s - i * t;
      x[p + 1] = r * t + i * s;
    }
    for (let d = levels.length - 1; d >= depth; d--) {
      inverseLevel(x, levels[d], lo, lo + size);
    }
    return;
  }
  const level = levels[depth], part = size / level.radix;
  forwardLevel(y, level, lo, lo + size);
  for (let k = 0; k < level.radix; k++) {
    multiplyBack(x, y, levels, depth + 1, lo + k * part);
  }
  inverseLevel(x, level, lo, lo + size);
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
  for (let k = 0; k < count; k++) {
    const j = from + k, v = x[j < n ? 2 * j : 2 * (j - n) + 1] * scale;
    out[k] = Math.round(v);
    if (Math.abs(v - out[k]) > 0.25) {
      throw new Error("FFT rounding error past its proven bound");
    }
  }
  return out;
}
