/**
 * Test helper: tolerances from the binomial standard error, sized so that a
 * correct implementation fails a check with probability below 10^-7.
 *
 * @module
 */

import { assert } from "@std/assert";

/** Standard deviations allowed: P(|Z| > 5.5) ≈ 3.8·10^-8. */
export const Z_TOLERANCE = 5.5;

/**
 * Asserts that `successes / trials` is within Z_TOLERANCE standard errors of
 * the expected rate `p`.
 */
export function assertRate(
  successes: number,
  trials: number,
  p: number,
  label = "rate",
): void {
  const observed = successes / trials;
  const se = Math.sqrt(p * (1 - p) / trials);
  const tolerance = Z_TOLERANCE * se;
  assert(
    Math.abs(observed - p) <= tolerance,
    `${label}: observed ${
      observed.toFixed(5)
    } over ${trials} trials, expected ${p} ± ${tolerance.toFixed(5)}`,
  );
}
