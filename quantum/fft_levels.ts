/**
 * The levels of fft.ts's transform modulo x^n − i: each block x^{rq} − γ of
 * a level splits into the r factors x^q − η·ω^k (η^r = γ, ω = e^{2πi/r}),
 * by radix-4, -2 or -3 butterflies whose twiddles η, …, η^{r−1} are built
 * here per block. The error bound these roundings obey is argued in fft.ts.
 *
 * @module
 */

/** One level of the transform: blocks of `size` points split `radix` ways. */
export interface Level {
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
  let bits = 0;
  while (1 << (2 * bits) < 4 * n) bits++;
  const k = 1 << bits, mask = k - 1;
  const fine = new Float64Array(2 * k);
  const coarse = new Float64Array(2 * Math.ceil((4 * n) / k));
  for (let e = 0; e < k; e++) root(e, n, fine, 2 * e);
  for (let h = 0; h * k < 4 * n; h++) root(h * k, n, coarse, 2 * h);
  return (e, out, at) => {
    const h = 2 * (e >>> bits), f = 2 * (e & mask);
    const a = coarse[h], b = coarse[h + 1], c = fine[f], d = fine[f + 1];
    out[at] = a * c - b * d;
    out[at + 1] = a * d + b * c;
  };
}

/**
 * The levels of the transform modulo x^n − i for n = 2^k or 3·2^k: radix 3
 * first if 3 divides n, then radix 2 if the power of two is odd, then radix
 * 4, each with its blocks' twiddles.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { buildLevels } from "./fft_levels.ts";
 *
 * const levels = buildLevels(24);
 * assertEquals(levels.map((l) => [l.radix, l.size]), [[3, 24], [2, 8], [4, 4]]);
 * // The top block x^24 − i splits around η = i^(1/3) = e^(iπ/6).
 * assertEquals(levels[0].twiddles[1].toFixed(12), (0.5).toFixed(12));
 * ```
 */
export function buildLevels(n: number): Level[] {
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
  for (const [depth, radix] of radices.entries()) {
    const twiddles = new Float64Array(exponents.length * (radix - 1) * 2);
    // The last level's parts are single points: no blocks below.
    const next = new Int32Array(
      depth + 1 < radices.length ? exponents.length * radix : 0,
    );
    // The radix-th roots of unity as powers of ζ, in output order.
    const turns = radix === 4
      ? [0, 2 * n, n, 3 * n]
      : radix === 2
      ? [0, 2 * n]
      : [0, (4 * n) / 3, (8 * n) / 3];
    for (let b = 0, at = 0; b < exponents.length; b++) {
      const eta = exponents[b] / radix;
      for (let j = 1; j < radix; j++, at += 2) {
        zeta((j * eta) % (4 * n), twiddles, at);
      }
      if (next.length === 0) continue;
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

/**
 * Radix 4 on the blocks of [lo, hi): x^{4q} − γ into x^q − η, x^q + η,
 * x^q − iη and x^q + iη, or back (times 4) if `inverse`.
 */
function radix4(
  x: Float64Array,
  level: Level,
  lo: number,
  hi: number,
  inverse: boolean,
) {
  const { size, twiddles: w } = level, q2 = size >>> 1;
  for (
    let block = 2 * lo, t = (lo / size) * 6;
    block < 2 * hi;
    block += 2 * size, t += 6
  ) {
    const c1 = w[t], s1 = w[t + 1], c2 = w[t + 2], s2 = w[t + 3];
    const c3 = w[t + 4], s3 = w[t + 5], end = block + q2;
    if (inverse) {
      for (let p = block; p < end; p += 2) {
        const pb = p + q2, pc = pb + q2, pd = pc + q2;
        const y0r = x[p], y0i = x[p + 1], y1r = x[pb], y1i = x[pb + 1];
        const y2r = x[pc], y2i = x[pc + 1], y3r = x[pd], y3i = x[pd + 1];
        const er = y0r + y1r, ei = y0i + y1i, fr = y0r - y1r, fi = y0i - y1i;
        // g = y2 + y3, h = −i·(y2 − y3)
        const gr = y2r + y3r, gi = y2i + y3i, hr = y2i - y3i, hi_ = y3r - y2r;
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
      continue;
    }
    for (let p = block; p < end; p += 2) {
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

/** Radix 2: x^{2q} − γ into x^q − δ and x^q + δ, or back (times 2). */
function radix2(
  x: Float64Array,
  level: Level,
  lo: number,
  hi: number,
  inverse: boolean,
) {
  const { size, twiddles: w } = level;
  for (
    let block = 2 * lo, t = (lo / size) * 2;
    block < 2 * hi;
    block += 2 * size, t += 2
  ) {
    const c = w[t], s = inverse ? -w[t + 1] : w[t + 1], end = block + size;
    if (inverse) {
      for (let p = block; p < end; p += 2) {
        const pb = p + size, ar = x[p], ai = x[p + 1], br = x[pb];
        const bi = x[pb + 1], r = ar - br, i = ai - bi;
        x[p] = ar + br;
        x[p + 1] = ai + bi;
        x[pb] = r * c - i * s;
        x[pb + 1] = r * s + i * c;
      }
      continue;
    }
    for (let p = block; p < end; p += 2) {
      const pb = p + size, r = x[pb], i = x[pb + 1];
      const br = r * c - i * s, bi = r * s + i * c, ar = x[p], ai = x[p + 1];
      x[p] = ar + br;
      x[p + 1] = ai + bi;
      x[pb] = ar - br;
      x[pb + 1] = ai - bi;
    }
  }
}

const HALF_SQRT3 = Math.sqrt(3) / 2;

/** Radix 3: x^{3q} − γ into x^q − η·ω^k, ω = e^{2πi/3}, or back (times 3). */
function radix3(
  x: Float64Array,
  level: Level,
  lo: number,
  hi: number,
  inverse: boolean,
) {
  const { size, twiddles: w } = level, q2 = (2 * size) / 3;
  for (
    let block = 2 * lo, t = (lo / size) * 4;
    block < 2 * hi;
    block += 2 * size, t += 4
  ) {
    const c1 = w[t], s1 = w[t + 1], c2 = w[t + 2], s2 = w[t + 3];
    const end = block + q2;
    if (inverse) {
      for (let p = block; p < end; p += 2) {
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
      continue;
    }
    for (let p = block; p < end; p += 2) {
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

/** The points a {@linkcode transformLevel} call works on, and which way. */
export interface LevelRange {
  /** First point: a multiple of the level's block size. */
  lo: number;
  /** Past the last point: a whole number of blocks after `lo`. */
  hi: number;
  /** Take the level back, times its radix, rather than forward. */
  inverse?: boolean;
}

/**
 * One level of the transform on the points [lo, hi) of the interleaved
 * (re, im) array `x`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { buildLevels, transformLevel } from "./fft_levels.ts";
 *
 * // 1 + x modulo x^4 − i, at the four roots x = e^(iπ(4k+1)/8) in the
 * // level's output order, then back: 4 times the input.
 * const [level] = buildLevels(4);
 * const x = Float64Array.of(1, 0, 1, 0, 0, 0, 0, 0);
 * transformLevel(x, level, { lo: 0, hi: 4 });
 * assertEquals(x[0].toFixed(12), (1 + Math.cos(Math.PI / 8)).toFixed(12));
 * transformLevel(x, level, { lo: 0, hi: 4, inverse: true });
 * assertEquals([...x].map((v) => Math.round(v)), [4, 0, 4, 0, 0, 0, 0, 0]);
 * ```
 */
export function transformLevel(
  x: Float64Array,
  level: Level,
  range: LevelRange,
): void {
  const { lo, hi, inverse = false } = range;
  if (level.radix === 4) radix4(x, level, lo, hi, inverse);
  else if (level.radix === 2) radix2(x, level, lo, hi, inverse);
  else radix3(x, level, lo, hi, inverse);
}
