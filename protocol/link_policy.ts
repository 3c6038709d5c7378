/**
 * The link policy, the one definition the KMS, the dashboard and the client
 * share: the status follows the rolling average of the last five QBER
 * values; at 5 % it is YELLOW, at 11 % RED (no keys).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { linkStatusFor, RED_THRESHOLD } from "./link_policy.ts";
 *
 * assertEquals(RED_THRESHOLD, 0.11);
 * assertEquals(linkStatusFor([0.02, 0.02, 0.02, 0.25, 0.25]), "RED");
 * ```
 *
 * @module
 */

import { QBER_SECURITY_THRESHOLD } from "../quantum/entropy.ts";
import type { LinkStatus } from "./types.ts";

/**
 * Rolling-average QBER at or above which the link is RED: no keys. It is
 * BB84's own abort threshold, where `1 - 2h(e)` reaches zero.
 */
export const RED_THRESHOLD = QBER_SECURITY_THRESHOLD;
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
 * import { assertEquals } from "@std/assert";
 * import { rollingQber } from "./link_policy.ts";
 * assertEquals(rollingQber([0.5, 0.02, 0.02, 0.02, 0.02, 0.02]), 0.02);
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
 * import { assertEquals } from "@std/assert";
 * import { linkStatusFor } from "./link_policy.ts";
 * assertEquals(linkStatusFor([0.02, 0.25, 0.25]), "RED");
 * ```
 */
export function linkStatusFor(history: readonly number[]): LinkStatus {
  const avg = rollingQber(history);
  if (avg >= RED_THRESHOLD) return "RED";
  if (avg >= YELLOW_THRESHOLD) return "YELLOW";
  return "GREEN";
}

/**
 * Whether `value` is a {@linkcode LinkStatus}.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { isLinkStatus } from "./link_policy.ts";
 *
 * assertEquals([isLinkStatus("RED"), isLinkStatus("PURPLE")], [true, false]);
 * ```
 */
export function isLinkStatus(value: unknown): value is LinkStatus {
  return value === "GREEN" || value === "YELLOW" || value === "RED";
}
