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
 * import { percent } from "./format.ts";
 * console.log(percent(0.0234), percent(null)); // 2.3% —
 * ```
 */
export function percent(value: number | null): string {
  return value === null ? "—" : `${(value * 100).toFixed(1)}%`;
}

/**
 * The time of day of an ISO time, UTC, e.g. `12:03:04Z`; an em dash for none.
 *
 * @example
 * ```ts
 * import { zuluTime } from "./format.ts";
 * console.log(zuluTime("2026-02-23T05:00:01.123Z")); // 05:00:01Z
 * ```
 */
export function zuluTime(iso: string | null): string {
  if (iso === null) return "—";
  const time = new Date(iso);
  return Number.isNaN(time.getTime())
    ? "—"
    : `${time.toISOString().slice(11, 19)}Z`;
}
