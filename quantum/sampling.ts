/**
 * Random counts for the link simulation: how many of n independent trials
 * succeed, drawn without simulating each trial when n is large. Driven by
 * {@linkcode Xoshiro128} (the physics' generator, not key material).
 *
 * @module
 */

import type { Xoshiro128 } from "./random.ts";

/**
 * Above this mean (of the rarer outcome), counts follow the normal
 * approximation. Below it they are exact, by geometric skipping, at a cost
 * proportional to the count. At a mean of 1000 the approximation's error in
 * any probability is O(1/√1000 · skewness), far inside the Hoeffding margins
 * (Lim et al. 2014, Appendix A) that the finite-key bound adds to every count.
 */
const NORMAL_ABOVE = 1000;

/**
 * A standard normal variate (Box–Muller).
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { Xoshiro128 } from "./random.ts";
 * import { standardNormal } from "./sampling.ts";
 *
 * const rng = new Xoshiro128(Uint32Array.of(1, 2, 3, 4));
 * let sum = 0;
 * for (let i = 0; i < 10_000; i++) sum += standardNormal(rng);
 * assert(Math.abs(sum / 10_000) < 0.05);
 * ```
 */
export function standardNormal(rng: Xoshiro128): number {
  return Math.sqrt(-2 * Math.log(rng.unit())) *
    Math.cos(2 * Math.PI * rng.unit());
}

/**
 * Successes among `trials` independent trials of probability `p`.
 *
 * @example
 * ```ts
 * import { assert, assertEquals } from "@std/assert";
 * import { Xoshiro128 } from "./random.ts";
 * import { binomial } from "./sampling.ts";
 *
 * const rng = new Xoshiro128(Uint32Array.of(1, 2, 3, 4));
 * assertEquals(binomial(50, 0, rng), 0);
 * assertEquals(binomial(50, 1, rng), 50);
 * const big = binomial(1e9, 0.01, rng);
 * assert(Math.abs(big - 1e7) < 6 * Math.sqrt(1e9 * 0.01 * 0.99));
 * ```
 */
export function binomial(trials: number, p: number, rng: Xoshiro128): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`probability ${p} not in 0..1`);
  if (!(Number.isSafeInteger(trials) && trials >= 0)) {
    throw new RangeError(
      `trials must be a non-negative integer, got ${trials}`,
    );
  }
  if (p > 0.5) return trials - binomial(trials, 1 - p, rng);
  const mean = trials * p;
  if (mean > NORMAL_ABOVE) {
    const draw = Math.round(
      mean + Math.sqrt(mean * (1 - p)) * standardNormal(rng),
    );
    return Math.min(trials, Math.max(0, draw));
  }
  if (p === 0) return 0;
  const logKeep = Math.log1p(-p);
  let count = 0;
  for (let pos = -1;;) {
    pos += 1 + Math.floor(Math.log(rng.unit()) / logKeep);
    if (pos >= trials) return count;
    count++;
  }
}

/**
 * Trials until the `successes`-th success of probability `p` (the negative
 * binomial distribution, counting the successes too).
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { Xoshiro128 } from "./random.ts";
 * import { trialsUntil } from "./sampling.ts";
 *
 * const rng = new Xoshiro128(Uint32Array.of(1, 2, 3, 4));
 * const pulses = trialsUntil(1e6, 0.003, rng);
 * assert(Math.abs(pulses - 1e6 / 0.003) < 6 * Math.sqrt(1e6 * 0.997) / 0.003);
 * ```
 */
export function trialsUntil(
  successes: number,
  p: number,
  rng: Xoshiro128,
): number {
  if (!(p > 0 && p <= 1)) {
    throw new RangeError(`probability ${p} not in (0, 1]`);
  }
  if (successes > NORMAL_ABOVE) {
    const mean = successes / p;
    const sd = Math.sqrt(successes * (1 - p)) / p;
    return Math.max(successes, Math.round(mean + sd * standardNormal(rng)));
  }
  if (p === 1) return successes;
  const logKeep = Math.log1p(-p);
  let trials = 0;
  for (let k = 0; k < successes; k++) {
    trials += 1 + Math.floor(Math.log(rng.unit()) / logKeep);
  }
  return trials;
}
