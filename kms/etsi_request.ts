/**
 * The request data of ETSI GS QKD 014 v1.1.1, checked against the
 * standard's types: Key request (Table 10) for `enc_keys`, Key IDs
 * (Table 12) for `dec_keys`. A malformed request is an {@linkcode EtsiError}
 * 400, with the standard's own words where clause 6 fixes them.
 *
 * @module
 */

import { isDeviceId } from "../protocol/mod.ts";
import { EtsiError } from "./http.ts";

/** Key size when the request names none (bits). */
export const DEFAULT_KEY_SIZE = 256;
/** Smallest key size served (bits). */
export const MIN_KEY_SIZE = 64;
/** Largest key size served (bits). */
export const MAX_KEY_SIZE = 4096;
/** Most keys in one request. */
export const MAX_KEY_PER_REQUEST = 128;
/** Most `additional_slave_SAE_IDs` in one request (key multicast). */
export const MAX_SAE_ID_COUNT = 8;

/** Clause 6.2's message for a size this KME cannot serve in whole bytes. */
export const SIZE_MULTIPLE_OF_8 = "size shall be a multiple of 8";
/** Clause 6.2's message for an `extension_mandatory` this KME does not know. */
export const EXTENSION_UNSUPPORTED =
  "not all extension_mandatory parameters are supported";
/** Clause 6.4's message for a `dec_keys` naming keys the KME cannot return. */
export const KEYS_NOT_FOUND = "one or more keys specified are not found on KME";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A checked Key request. */
export interface KeyRequest {
  /** Keys wanted. */
  number: number;
  /** Bits per key. */
  size: number;
  /** Further slaves to share the same keys with (distinct, checked ids). */
  additionalSlaves: string[];
}

/**
 * Checks a Key request: a POST body, or the GET query's `number` and
 * `size` (strings, as 6.2 sends them). This KME supports no extension:
 * any `extension_mandatory` entry is refused as 6.2 says, and
 * `extension_optional` is ignored, as 6.2 allows.
 *
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { parseKeyRequest } from "./etsi_request.ts";
 *
 * assertEquals(parseKeyRequest({ number: "2" }), { number: 2, size: 256, additionalSlaves: [] });
 * assertThrows(() => parseKeyRequest({ size: 100 }), Error, "size shall be a multiple of 8");
 * assertThrows(
 *   () => parseKeyRequest({ extension_mandatory: { abc_route_type: "direct" } }),
 *   Error,
 *   "extension_mandatory must be an array of objects",
 * );
 * ```
 */
export function parseKeyRequest(body: Record<string, unknown>): KeyRequest {
  const number = intParam(body.number, { name: "number", fallback: 1 });
  const size = intParam(body.size, {
    name: "size",
    fallback: DEFAULT_KEY_SIZE,
  });
  if (number < 1 || number > MAX_KEY_PER_REQUEST) {
    throw new EtsiError(400, `number must be 1 to ${MAX_KEY_PER_REQUEST}`);
  }
  if (size % 8 !== 0) throw new EtsiError(400, SIZE_MULTIPLE_OF_8);
  if (size < MIN_KEY_SIZE || size > MAX_KEY_SIZE) {
    throw new EtsiError(
      400,
      `size must be ${MIN_KEY_SIZE} to ${MAX_KEY_SIZE} bits`,
    );
  }
  const mandatory = extensions(body.extension_mandatory, "extension_mandatory");
  extensions(body.extension_optional, "extension_optional");
  const unsupported = mandatory.flatMap((extension) => Object.keys(extension));
  if (unsupported.length > 0) {
    throw new EtsiError(400, EXTENSION_UNSUPPORTED, {
      details: unsupported.map((name) => ({
        extension_mandatory_unsupported: `${name} is not supported`,
      })),
    });
  }
  return {
    number,
    size,
    additionalSlaves: additionalSlaves(body.additional_slave_SAE_IDs),
  };
}

function intParam(
  value: unknown,
  options: { name: string; fallback: number },
): number {
  const { name, fallback } = options;
  if (value === undefined || value === null) return fallback;
  const n = typeof value === "string" && /^\d+$/.test(value)
    ? Number(value)
    : value;
  if (typeof n !== "number" || !Number.isSafeInteger(n)) {
    throw new EtsiError(400, `${name} must be a positive integer`);
  }
  return n;
}

// Table 10: an array of objects, each of name/value pairs.
function extensions(
  value: unknown,
  name: string,
): Record<string, unknown>[] {
  if (value === undefined || value === null) return [];
  const isObject = (v: unknown) =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  if (!Array.isArray(value) || !value.every(isObject)) {
    throw new EtsiError(400, `${name} must be an array of objects`);
  }
  return value as Record<string, unknown>[];
}

function additionalSlaves(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) {
    throw new EtsiError(
      400,
      "additional_slave_SAE_IDs must be an array of strings",
    );
  }
  if (value.length > MAX_SAE_ID_COUNT) {
    throw new EtsiError(
      400,
      `at most ${MAX_SAE_ID_COUNT} additional_slave_SAE_IDs (max_SAE_ID_count)`,
    );
  }
  const bad = value.filter((id) => !isDeviceId(id));
  if (bad.length > 0) {
    throw new EtsiError(400, "additional_slave_SAE_IDs: not an SAE_ID", {
      details: bad.map((id) => ({ additional_slave_SAE_ID: id })),
    });
  }
  if (new Set(value).size !== value.length) {
    throw new EtsiError(400, "additional_slave_SAE_IDs names an SAE twice");
  }
  return value;
}

/**
 * The key ids a `dec_keys` request names: the POST body's Key IDs, or the
 * GET query's `key_ID`s. Each must be a UUID (compared without regard to
 * case, returned lower-case) and named once.
 *
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { checkKeyIds } from "./etsi_request.ts";
 *
 * const id = "0A7A5AEE-0000-4000-8000-000000000001";
 * assertEquals(checkKeyIds([id]), [id.toLowerCase()]);
 * assertThrows(() => checkKeyIds([id, id.toLowerCase()]), Error, "named twice");
 * ```
 */
export function checkKeyIds(ids: unknown[]): string[] {
  if (ids.length === 0 || ids.length > MAX_KEY_PER_REQUEST) {
    throw new EtsiError(400, `name 1 to ${MAX_KEY_PER_REQUEST} key_IDs`);
  }
  const bad = ids.filter((id) => typeof id !== "string" || !UUID.test(id));
  if (bad.length > 0) {
    throw new EtsiError(400, "key_ID must be a UUID", {
      details: bad.map((key_ID) => ({ key_ID })),
    });
  }
  const lower = (ids as string[]).map((id) => id.toLowerCase());
  const twice = lower.filter((id, i) => lower.indexOf(id) !== i);
  if (twice.length > 0) {
    throw new EtsiError(400, "a key_ID is named twice", {
      details: [...new Set(twice)].map((key_ID) => ({ key_ID })),
    });
  }
  return lower;
}

/** The Key IDs (Table 12) of a `dec_keys` POST body. */
export function keyIdsOfBody(body: Record<string, unknown>): unknown[] {
  if (!Array.isArray(body.key_IDs)) {
    throw new EtsiError(400, "key_IDs must be an array");
  }
  return body.key_IDs.map((k) => (k as { key_ID?: unknown } | null)?.key_ID);
}
