/**
 * Reading typed fields out of a JSON request body, with 400 errors that say
 * which field is wrong and why.
 *
 * @module
 */

import { isDeviceId } from "../protocol/mod.ts";
import { HttpError } from "./http.ts";

/** A JSON object body. */
export type Body = Record<string, unknown>;

function bad(field: string, message: string): HttpError {
  return new HttpError(400, "bad_field", { message: `${field} ${message}` });
}

/**
 * A device id from the first of `names` present (legacy clients' names
 * follow the current one), or undefined when none is and it is optional.
 *
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { deviceField } from "./fields.ts";
 * import { HttpError } from "./http.ts";
 *
 * const names = ["device_id", "client_id"];
 * assertEquals(deviceField({ client_id: "Soldier_Alpha" }, names), "Soldier_Alpha");
 * assertEquals(deviceField({}, ["peer_id"], { optional: true }), undefined);
 * assertThrows(() => deviceField({ device_id: "bad id!" }, names), HttpError, "device_id must be");
 * ```
 */
export function deviceField(
  body: Body,
  names: string[],
  options: { optional?: boolean } = {},
): string | undefined {
  const name = names.find((n) => body[n] !== undefined && body[n] !== null);
  if (name === undefined) {
    if (options.optional) return undefined;
    throw new HttpError(400, "missing_field", {
      message: `${names[0]} is required`,
    });
  }
  const value = body[name];
  if (!isDeviceId(value)) {
    throw bad(name, "must be 1 to 64 characters from A-Z a-z 0-9 _ . -");
  }
  return value;
}

/** An optional boolean field (absent is false). */
export function booleanField(body: Body, name: string): boolean {
  const value = body[name];
  if (value === undefined || value === null) return false;
  if (typeof value !== "boolean") throw bad(name, "must be true or false");
  return value;
}

/**
 * An optional whole-number field from `options.min` to `options.max`
 * (absent is undefined).
 *
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { wholeNumberField } from "./fields.ts";
 * import { HttpError } from "./http.ts";
 *
 * const seats = { min: 2, max: 16 };
 * assertEquals(wholeNumberField({ n: 4 }, "n", seats), 4);
 * assertEquals(wholeNumberField({}, "n", seats), undefined);
 * assertThrows(() => wholeNumberField({ n: 17 }, "n", seats), HttpError, "n must be a whole number from 2 to 16");
 * ```
 */
export function wholeNumberField(
  body: Body,
  name: string,
  options: { min: number; max?: number },
): number | undefined {
  const { min, max = Number.MAX_SAFE_INTEGER } = options;
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (
    !Number.isSafeInteger(value) || value as number < min ||
    value as number > max
  ) {
    throw bad(
      name,
      options.max === undefined
        ? `must be a whole number of at least ${min}`
        : `must be a whole number from ${min} to ${max}`,
    );
  }
  return value as number;
}

/**
 * An optional base64 field (`options.alphabet`, default standard base64)
 * decoded to exactly `options.length` bytes.
 *
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { base64Field } from "./fields.ts";
 * import { HttpError } from "./http.ts";
 *
 * const options = { length: 2, alphabet: "base64url" } as const;
 * assertEquals(base64Field({ k: "_-8" }, "k", options), new Uint8Array([255, 239]));
 * assertEquals(base64Field({}, "k", options), undefined);
 * assertThrows(() => base64Field({ k: "AAAA" }, "k", options), HttpError, "must decode to 2 bytes");
 * ```
 */
export function base64Field(
  body: Body,
  name: string,
  options: { length: number; alphabet?: "base64" | "base64url" },
): Uint8Array | undefined {
  const { length, alphabet = "base64" } = options;
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") {
    throw bad(name, `must be a ${alphabet} string`);
  }
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.fromBase64(value, { alphabet });
  } catch {
    throw bad(name, `is not valid ${alphabet}`);
  }
  if (bytes.length !== length) {
    throw bad(name, `must decode to ${length} bytes, got ${bytes.length}`);
  }
  return bytes;
}

/** A required string field of 1 to 128 characters. */
export function stringField(body: Body, name: string): string {
  const maxLength = 128;
  const value = body[name];
  if (value === undefined || value === null) {
    throw new HttpError(400, "missing_field", {
      message: `${name} is required`,
    });
  }
  if (
    typeof value !== "string" || value.length === 0 || value.length > maxLength
  ) {
    throw bad(name, `must be a string of 1 to ${maxLength} characters`);
  }
  return value;
}
