/**
 * How the SOC view writes numbers and times. Times are UTC ("Zulu"), so the
 * server's first render and the browser's updates agree whatever the time
 * zones.
 *
 * @module
 */

/**
 * A ratio as a percentage with one decimal; an em dash for none.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { percent } from "./format.ts";
 * assertEquals([percent(0.0234), percent(null)], ["2.3%", "—"]);
 * ```
 */
export function percent(value: number | null): string {
  return value === null ? "—" : `${(value * 100).toFixed(1)}%`;
}

/**
 * A ratio as a whole percentage, as the thresholds are written.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { wholePercent } from "./format.ts";
 * assertEquals(wholePercent(0.11), "11%");
 * ```
 */
export function wholePercent(value: number): string {
  return `${Math.round(value * 100)}%`;
}

/**
 * The time of day of an ISO time, UTC, e.g. `12:03:04Z`; an em dash for none.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { zuluTime } from "./format.ts";
 * assertEquals(zuluTime("2026-02-23T07:00:01.123+02:00"), "05:00:01Z");
 * ```
 */
export function zuluTime(iso: string | null): string {
  if (iso === null) return "—";
  const time = new Date(iso);
  return Number.isNaN(time.getTime())
    ? "—"
    : `${time.toISOString().slice(11, 19)}Z`;
}
