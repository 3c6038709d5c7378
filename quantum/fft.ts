/**
 * Exact convolution of 0/1 vectors by a floating-point FFT, for Toeplitz
 * privacy amplification at block scale.
 *
 * Both vectors go in one complex transform, z = a + i·b, and since
 * z ⊛ z = a ⊛ a − b ⊛ b + 2i·(a ⊛ b), half the imaginary part of the inverse
 * transform of Z² is a ⊛ b: two radix-2 transforms of length L in all.
 *
 * Exactness: for a radix-2 FFT convolution whose twiddles each lie within β
 * of the true roots, Percival, "Rapid multiplication modulo the sum and
 * difference of highly composite numbers", Math. Comp. 72 (2003) 387–395,
 * bounds the error of every coefficient of x ⊛ y by
 * ‖x‖·‖y‖·((1+ε)^{3n}(1+ε√5)^{3n+1}(1+β)^{3n} − 1), with n = log2 L and
 * ε = 2^−53. Here x = y = z, ‖z‖² ≤ 2L (entries of a and b are 0 or 1), and
 * β < 10^−15: each twiddle is `Math.cos`/`Math.sin` (within an ulp) of an
 * angle below π/4 computed with two roundings, or an exact symmetry of one.
 * At the largest length accepted, L = 2^26, the error is thus below
 * 2^27·(78·ε + 79·√5·ε + 78·β) (higher-order terms are under 10^−20)
 * < 2·10^−5: rounding each coefficient to the nearest integer gives the
 * exact integer convolution. Halving and scaling by 1/L are exact (powers of
 * two). The butterflies are the textbook radix-2 ones, reordered for the
 * cache, and in the two stages whose roots are 1 and ±i without the
 * multiplications (which only removes roundings), so the bound applies.
 *
 * Why not an NTT: measured on the 2-core bench machine, one 2^21-point pass
 * took 750 ms as a 32-bit NTT mod 15·2^27 + 1 (products split into a double
 * quotient and `Math.imul`), 240 ms as a double-precision NTT mod
 * 25·2^22 + 1 (which also stops at 2^22 points, too short for 10^7 bits),
 * and 125 ms as a first version of this complex FFT, which moreover needs
 * two passes where an NTT needs three. A word-packed Karatsuba over GF(2)[x]
 * was not tried: JavaScript has no carry-less multiply, so each 32×32-bit
 * product costs dozens of operations.
 *
 * @module
 */

/** Largest transform length {@linkcode convolveBits} accepts (exactness). */
export const MAX_FFT_LENGTH = 1 << 26;

/**
 * cos and sin of 2πt/n for t < n/2. Only t ≤ n/8 calls `Math.cos` and
 * `Math.sin` (they were a fifth of the time at 2^21 points); the rest follow
 * by the identities cos(π/2 − θ) = sin θ and cos(θ + π/2) = −sin θ, which
 * keep every entry within the error β of the exactness bound.
 */
function twiddles(n: number): { cos: Float64Array; sin: Float64Array } {
  const half = Math.max(1, n >>> 1), quarter = n >>> 2, eighth = n >>> 3;
  const cos = new Float64Array(half), sin = new Float64Array(half);
  if (eighth === 0) {
    for (let t = 0; t < half; t++) {
      cos[t] = Math.cos((2 * Math.PI * t) / n);
      sin[t] = Math.sin((2 * Math.PI * t) / n);
    }
    return { cos, sin };
  }
  for (let t = 0; t <= eighth; t++) {
    const c = Math.cos((2 * Math.PI * t) / n);
    const s = Math.sin((2 * Math.PI * t) / n);
    cos[t] = c;
    sin[t] = s;
    cos[quarter - t] = s;
    sin[quarter - t] = c;
  }
  for (let t = quarter; t < half; t++) {
    cos[t] = -sin[t - quarter];
    sin[t] = cos[t - quarter];
  }
  return { cos, sin };
}

/** The arrays a transform works on, n = re.length. */
interface Transform {
  re: Float64Array;
  im: Float64Array;
  cos: Float64Array;
  sin: Float64Array;
}

/**
 * Sub-transforms of this many points or fewer run all their stages at once,
 * in cache (16 bytes a point); larger ones recurse on their halves, so each
 * point crosses main memory about log2(n / BLOCK) times, not log2(n).
 */
const BLOCK = 1 << 12;

/** One decimation-in-frequency stage of half-size h on [start, start+size). */
function difStage(w: Transform, start: number, size: number, h: number) {
  const { re, im, cos, sin } = w;
  const stride = (re.length / (2 * h)) | 0;
  for (let i = start; i < start + size; i += h << 1) {
    for (let j = 0, t = 0; j < h; j++, t += stride) {
      const p = i + j, q = p + h;
      const ur = re[p], ui = im[p], vr = re[q], vi = im[q];
      re[p] = ur + vr;
      im[p] = ui + vi;
      const dr = ur - vr, di = ui - vi, c = cos[t], s = sin[t];
      // Times e^{−2πi·t/n}.
      re[q] = dr * c + di * s;
      im[q] = di * c - dr * s;
    }
  }
}

/** One decimation-in-time stage of half-size h on [start, start+size). */
function ditStage(w: Transform, start: number, size: number, h: number) {
  const { re, im, cos, sin } = w;
  const stride = (re.length / (2 * h)) | 0;
  for (let i = start; i < start + size; i += h << 1) {
    for (let j = 0, t = 0; j < h; j++, t += stride) {
      const p = i + j, q = p + h;
      const c = cos[t], s = sin[t];
      // Times e^{+2πi·t/n}.
      const vr = re[q] * c - im[q] * s, vi = re[q] * s + im[q] * c;
      const ur = re[p], ui = im[p];
      re[p] = ur + vr;
      im[p] = ui + vi;
      re[q] = ur - vr;
      im[q] = ui - vi;
    }
  }
}

/**
 * DIF stages h and h/2 of the group [start, start+2h) in one pass over
 * memory: the same two radix-2 butterflies per point, so the same roundings.
 */
function difStagePair(w: Transform, start: number, h: number) {
  const { re, im, cos, sin } = w;
  const stride = (re.length / (2 * h)) | 0, quarter = h >>> 1;
  for (let j = 0, t = 0; j < quarter; j++, t += stride) {
    const p0 = start + j, p1 = p0 + quarter, p2 = p0 + h, p3 = p2 + quarter;
    const t1 = t + quarter * stride, t2 = 2 * t;
    // Stage h: (p0, p2) at root t, (p1, p3) at root t1.
    let ur = re[p0], ui = im[p0], vr = re[p2], vi = im[p2];
    let dr = ur - vr, di = ui - vi, c = cos[t], s = sin[t];
    const a0r = ur + vr, a0i = ui + vi;
    const a2r = dr * c + di * s, a2i = di * c - dr * s;
    ur = re[p1], ui = im[p1], vr = re[p3], vi = im[p3];
    dr = ur - vr, di = ui - vi, c = cos[t1], s = sin[t1];
    const a1r = ur + vr, a1i = ui + vi;
    const a3r = dr * c + di * s, a3i = di * c - dr * s;
    // Stage h/2: (p0, p1) and (p2, p3), both at root 2t.
    c = cos[t2], s = sin[t2];
    re[p0] = a0r + a1r;
    im[p0] = a0i + a1i;
    dr = a0r - a1r, di = a0i - a1i;
    re[p1] = dr * c + di * s;
    im[p1] = di * c - dr * s;
    re[p2] = a2r + a3r;
    im[p2] = a2i + a3i;
    dr = a2r - a3r, di = a2i - a3i;
    re[p3] = dr * c + di * s;
    im[p3] = di * c - dr * s;
  }
}

/** DIT stages h/2 and h of the group [start, start+2h) in one pass. */
function ditStagePair(w: Transform, start: number, h: number) {
  const { re, im, cos, sin } = w;
  const stride = (re.length / (2 * h)) | 0, quarter = h >>> 1;
  for (let j = 0, t = 0; j < quarter; j++, t += stride) {
    const p0 = start + j, p1 = p0 + quarter, p2 = p0 + h, p3 = p2 + quarter;
    const t1 = t + quarter * stride, t2 = 2 * t;
    // Stage h/2: (p0, p1) and (p2, p3), both at root 2t.
    let c = cos[t2], s = sin[t2];
    let xr = re[p1], xi = im[p1];
    let vr = xr * c - xi * s, vi = xr * s + xi * c;
    let ur = re[p0], ui = im[p0];
    const a0r = ur + vr, a0i = ui + vi, a1r = ur - vr, a1i = ui - vi;
    xr = re[p3], xi = im[p3];
    vr = xr * c - xi * s, vi = xr * s + xi * c;
    ur = re[p2], ui = im[p2];
    const a2r = ur + vr, a2i = ui + vi, a3r = ur - vr, a3i = ui - vi;
    // Stage h: (p0, p2) at root t, (p1, p3) at root t1.
    c = cos[t], s = sin[t];
    vr = a2r * c - a2i * s, vi = a2r * s + a2i * c;
    re[p0] = a0r + vr;
    im[p0] = a0i + vi;
    re[p2] = a0r - vr;
    im[p2] = a0i - vi;
    c = cos[t1], s = sin[t1];
    vr = a3r * c - a3i * s, vi = a3r * s + a3i * c;
    re[p1] = a1r + vr;
    im[p1] = a1i + vi;
    re[p3] = a1r - vr;
    im[p3] = a1i - vi;
  }
}

/**
 * The last two DIF stages (h = 2, 1) of [start, start+size), whose roots are
 * 1 and −i: no multiplications, and no roundings beyond the additions.
 */
function difLastPair(w: Transform, start: number, size: number) {
  const { re, im } = w;
  for (let p = start; p < start + size; p += 4) {
    const x0r = re[p], x0i = im[p], x1r = re[p + 1], x1i = im[p + 1];
    const x2r = re[p + 2], x2i = im[p + 2], x3r = re[p + 3], x3i = im[p + 3];
    const a0r = x0r + x2r, a0i = x0i + x2i, a2r = x0r - x2r, a2i = x0i - x2i;
    const a1r = x1r + x3r, a1i = x1i + x3i;
    // (x1 − x3)·(−i)
    const a3r = x1i - x3i, a3i = x3r - x1r;
    re[p] = a0r + a1r;
    im[p] = a0i + a1i;
    re[p + 1] = a0r - a1r;
    im[p + 1] = a0i - a1i;
    re[p + 2] = a2r + a3r;
    im[p + 2] = a2i + a3i;
    re[p + 3] = a2r - a3r;
    im[p + 3] = a2i - a3i;
  }
}

/** The first two DIT stages (h = 1, 2), roots 1 and +i, likewise. */
function ditFirstPair(w: Transform, start: number, size: number) {
  const { re, im } = w;
  for (let p = start; p < start + size; p += 4) {
    const x0r = re[p], x0i = im[p], x1r = re[p + 1], x1i = im[p + 1];
    const x2r = re[p + 2], x2i = im[p + 2], x3r = re[p + 3], x3i = im[p + 3];
    const a0r = x0r + x1r, a0i = x0i + x1i, a1r = x0r - x1r, a1i = x0i - x1i;
    const a2r = x2r + x3r, a2i = x2i + x3i;
    // (x2 − x3)·i
    const vr = x3i - x2i, vi = x2r - x3r;
    re[p] = a0r + a2r;
    im[p] = a0i + a2i;
    re[p + 2] = a0r - a2r;
    im[p + 2] = a0i - a2i;
    re[p + 1] = a1r + vr;
    im[p + 1] = a1i + vi;
    re[p + 3] = a1r - vr;
    im[p + 3] = a1i - vi;
  }
}

/**
 * Decimation in frequency on [start, start+size): natural order in,
 * bit-reversed order out. The same butterflies as the textbook loop, in
 * depth-first order.
 */
function forward(w: Transform, start: number, size: number): void {
  if (size < 4) {
    for (let h = size >>> 1; h >= 1; h >>>= 1) difStage(w, start, size, h);
    return;
  }
  if (size <= BLOCK) {
    let h = size >>> 1;
    for (; h >= 8; h >>>= 2) {
      for (let g = start; g < start + size; g += h << 1) difStagePair(w, g, h);
    }
    if (h === 4) difStage(w, start, size, 4);
    difLastPair(w, start, size);
    return;
  }
  const h = size >>> 1, q = size >>> 2;
  difStagePair(w, start, h);
  for (let k = 0; k < 4; k++) forward(w, start + k * q, q);
}

/**
 * Decimation in time on [start, start+size): bit-reversed order in, natural
 * order out, unscaled.
 */
function inverse(w: Transform, start: number, size: number): void {
  if (size < 4) {
    for (let h = 1; h < size; h <<= 1) ditStage(w, start, size, h);
    return;
  }
  if (size <= BLOCK) {
    ditFirstPair(w, start, size);
    let h = 4;
    // An odd number of stages left: one alone, then pairs (h, 2h).
    if ((31 - Math.clz32(size)) % 2 === 1) {
      ditStage(w, start, size, 4);
      h = 8;
    }
    for (; h < size; h <<= 2) {
      for (let g = start; g < start + size; g += h << 2) {
        ditStagePair(w, g, h << 1);
      }
    }
    return;
  }
  const h = size >>> 1, q = size >>> 2;
  for (let k = 0; k < 4; k++) inverse(w, start + k * q, q);
  ditStagePair(w, start, h);
}

/**
 * Cyclic convolution of two 0/1 vectors `a` and `b` of the same power-of-two
 * length (at most {@linkcode MAX_FFT_LENGTH}), exact: entry k of the result
 * is the integer Σ a[j]·b[k − j mod L]. The arrays are overwritten; the
 * result is returned in `a`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { convolveBits } from "./fft.ts";
 *
 * // (1 + x)(1 + x + x²) = 1 + 2x + 2x² + x³
 * const a = Float64Array.of(1, 1, 0, 0), b = Float64Array.of(1, 1, 1, 0);
 * assertEquals([...convolveBits(a, b)], [1, 2, 2, 1]);
 * ```
 */
export function convolveBits(a: Float64Array, b: Float64Array): Float64Array {
  const n = a.length;
  if (n !== b.length || n > MAX_FFT_LENGTH || (n & (n - 1)) !== 0) {
    throw new RangeError("FFT operands must share a power-of-two length");
  }
  const w = { re: a, im: b, ...twiddles(n) };
  forward(w, 0, n);
  for (let k = 0; k < n; k++) {
    const r = a[k], i = b[k];
    a[k] = r * r - i * i;
    b[k] = 2 * r * i;
  }
  inverse(w, 0, n);
  const scale = 1 / (2 * n);
  for (let k = 0; k < n; k++) a[k] = Math.round(b[k] * scale);
  return a;
}
