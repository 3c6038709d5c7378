/**
 * Small text formats of the client's output: short names, clock times,
 * sizes, and peer text made safe to print.
 *
 * @module
 */

// C0 controls, DEL, C1 controls and the bidirectional controls that could
// move or hide text on the screen: matching them is the point.
const UNPRINTABLE =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * The short name used in status lines: the part of a device id after its
 * last `_` (`Soldier_Alpha` → `Alpha`), or the whole id.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { shortName } from "./format.ts";
 * assertEquals(shortName("Soldier_Alpha"), "Alpha");
 * assertEquals(shortName("bravo"), "bravo");
 * ```
 */
export function shortName(deviceId: string): string {
  return deviceId.slice(deviceId.lastIndexOf("_") + 1) || deviceId;
}

/**
 * Local time as `HH:MM:SS`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { clockTime } from "./format.ts";
 * assertEquals(clockTime(new Date(2026, 1, 23, 5, 2, 3)), "05:02:03");
 * ```
 */
export function clockTime(date: Date): string {
  return [date.getHours(), date.getMinutes(), date.getSeconds()]
    .map((part) => String(part).padStart(2, "0"))
    .join(":");
}

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/**
 * The local day of `date` as `YYYY-MM-DD`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { localDay } from "./format.ts";
 * assertEquals(localDay(new Date(2026, 11, 2, 23, 59)), "2026-12-02");
 * ```
 */
export function localDay(date: Date): string {
  return [date.getFullYear(), date.getMonth() + 1, date.getDate()]
    .map((part) => String(part).padStart(2, "0"))
    .join("-");
}

/**
 * The local time zone at `date` as an offset from UTC: `UTC`,
 * `UTC+01:00`, `UTC-05:00`.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { zoneName } from "./format.ts";
 * assert(/^UTC([+-]\d\d:\d\d)?$/.test(zoneName(new Date())));
 * ```
 */
export function zoneName(date: Date): string {
  const offset = -date.getTimezoneOffset();
  if (offset === 0) return "UTC";
  const hours = String(Math.floor(Math.abs(offset) / 60)).padStart(2, "0");
  const minutes = String(Math.abs(offset) % 60).padStart(2, "0");
  return `UTC${offset > 0 ? "+" : "-"}${hours}:${minutes}`;
}

/**
 * The line that heads a new day of chat lines: the date, the weekday and
 * the zone the times are in.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { dayLine } from "./format.ts";
 * assert(dayLine(new Date(2026, 11, 2, 9)).startsWith("── 2026-12-02 Wed, times in UTC"));
 * ```
 */
export function dayLine(date: Date): string {
  return `── ${localDay(date)} ${WEEKDAYS[date.getDay()]}, times in ${
    zoneName(date)
  } ──`;
}

/**
 * A byte count for people: `512 B`, `12.5 KiB`, `3.0 MiB`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { formatBytes } from "./format.ts";
 * assertEquals(formatBytes(12800), "12.5 KiB");
 * ```
 */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/**
 * A QBER as a percentage with one decimal, as the seed prints it.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { formatQber } from "./format.ts";
 * assertEquals(formatQber(0.02), "2.0%");
 * ```
 */
export function formatQber(qber: number): string {
  return `${(qber * 100).toFixed(1)}%`;
}

/**
 * Text from the network made safe for a terminal: control characters
 * (escape sequences included) and bidirectional overrides become `�`, a
 * tab a space.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { printable } from "./format.ts";
 * assertEquals(printable("hi\u001b[2Jthere"), "hi�[2Jthere");
 * ```
 */
export function printable(text: string): string {
  return text.replaceAll("\t", " ").replace(UNPRINTABLE, "\uFFFD");
}
