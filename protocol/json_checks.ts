/**
 * The small checks the protocol's readers build their field-for-field
 * validators from, for JSON bodies read off the wire.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { isCount, isRatio, isRecord } from "./json_checks.ts";
 *
 * assertEquals([isCount(3), isCount(-1), isCount(1.5)], [true, false, false]);
 * assertEquals([isRatio(0.5), isRatio(2)], [true, false]);
 * assertEquals([isRecord({}), isRecord([]), isRecord(null)], [true, false, false]);
 * ```
 *
 * @module
 */

/** A parsed JSON object. */
export type Json = Record<string, unknown>;

/** Whether `value` is a JSON object (not an array, not null). */
export function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Whether `value` is a non-negative safe integer. */
export function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/** Whether `value` is a finite number at or above 0. */
export function isNonNegative(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}

/** Whether `value` is a number in 0..1. */
export function isRatio(value: unknown): value is number {
  return isNonNegative(value) && value <= 1;
}
