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

/**
 * A whole count with thousands separators, e.g. `1,000,000`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { count } from "./format.ts";
 * assertEquals([count(320960), count(0.4)], ["320,960", "0"]);
 * ```
 */
export function count(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

/**
 * A small or large figure as `m×10^e` with Unicode superscripts, plain below
 * 10^4 and above 10^-2, e.g. `6×10⁻⁷`, `1×10⁹`, `0.2`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { scientific } from "./format.ts";
 * assertEquals([scientific(6e-7), scientific(1e9), scientific(2.5e-4), scientific(0.2)], [
 *   "6×10⁻⁷",
 *   "1×10⁹",
 *   "2.5×10⁻⁴",
 *   "0.2",
 * ]);
 * ```
 */
export function scientific(value: number): string {
  if (value === 0 || (Math.abs(value) >= 1e-2 && Math.abs(value) < 1e4)) {
    return String(Number(value.toPrecision(3)));
  }
  const exponent = Math.floor(Math.log10(Math.abs(value)));
  const mantissa = Number((value / 10 ** exponent).toPrecision(3));
  return `${mantissa}×10${superscript(exponent)}`;
}

const SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹";

function superscript(exponent: number): string {
  const digits = [...String(Math.abs(exponent))]
    .map((digit) => SUPERSCRIPTS[Number(digit)]).join("");
  return exponent < 0 ? `⁻${digits}` : digits;
}

/**
 * A figure with an SI prefix and a unit, three significant digits, e.g.
 * `1.04 Mbit/s`, `1 GHz`, `512 bit`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { withPrefix } from "./format.ts";
 * assertEquals(withPrefix(1_038_000, "bit/s"), "1.04 Mbit/s");
 * assertEquals(withPrefix(1e9, "Hz"), "1 GHz");
 * assertEquals(withPrefix(0, "bit/s"), "0 bit/s");
 * ```
 */
export function withPrefix(value: number, unit: string): string {
  const prefixes = ["", "k", "M", "G", "T"];
  let scaled = value;
  let step = 0;
  while (Math.abs(scaled) >= 1000 && step < prefixes.length - 1) {
    scaled /= 1000;
    step++;
  }
  return `${Number(scaled.toPrecision(3))} ${prefixes[step]}${unit}`;
}
