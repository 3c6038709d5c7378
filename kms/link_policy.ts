/**
 * The seed's link policy: the status follows the rolling average of the last
 * five QBER values.
 *
 * @module
 */

import type { LinkStatus } from "../protocol/mod.ts";

/** Rolling-average QBER at or above which the link is RED: no keys. */
export const RED_THRESHOLD = 0.11;
/** Rolling-average QBER at or above which the link is YELLOW. */
export const YELLOW_THRESHOLD = 0.05;
/** How many recent runs the rolling average covers. */
export const ROLLING_WINDOW = 5;
/** How many values `/link_status` shows as history. */
export const HISTORY_LENGTH = 20;

/**
 * Average of the last {@linkcode ROLLING_WINDOW} values (0 when empty).
 *
 * @example
 * ```ts
 * import { rollingQber } from "./link_policy.ts";
 * console.log(rollingQber([0.5, 0.02, 0.02, 0.02, 0.02, 0.02])); // 0.02
 * ```
 */
export function rollingQber(history: readonly number[]): number {
  const window = history.slice(-ROLLING_WINDOW);
  if (window.length === 0) return 0;
  return window.reduce((sum, q) => sum + q, 0) / window.length;
}

/**
 * GREEN, YELLOW or RED for a QBER history.
 *
 * @example
 * ```ts
 * import { linkStatusFor } from "./link_policy.ts";
 * console.log(linkStatusFor([0.02, 0.25, 0.25])); // RED
 * ```
 */
export function linkStatusFor(history: readonly number[]): LinkStatus {
  const avg = rollingQber(history);
  if (avg >= RED_THRESHOLD) return "RED";
  if (avg >= YELLOW_THRESHOLD) return "YELLOW";
  return "GREEN";
}
