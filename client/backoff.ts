/**
 * Reconnect delays: exponential backoff with jitter, as the relay link
 * uses between attempts.
 *
 * @module
 */

/** Options for {@linkcode backoffDelay}. */
export interface BackoffOptions {
  /** Delay before the first retry. Default 500 ms. */
  initialMs?: number;
  /** Largest delay. Default 5000 ms. */
  maxMs?: number;
  /** Random number in [0, 1). Default `Math.random`. */
  random?: () => number;
}

/**
 * The delay before reconnect attempt `attempt` (0 for the first retry):
 * `initialMs` doubling up to `maxMs`, then a random half to whole of that,
 * so that clients cut off together do not return together.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { backoffDelay } from "./backoff.ts";
 * assertEquals(backoffDelay(3, { random: () => 0.999 }), 3998);
 * assertEquals(backoffDelay(30, { random: () => 0 }), 2500);
 * ```
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
): number {
  const initial = options.initialMs ?? 500;
  const max = options.maxMs ?? 5000;
  const ceiling = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  const random = options.random ?? Math.random;
  return Math.floor(ceiling / 2 + (ceiling / 2) * random());
}
