/**
 * The query strings of the KMS's evidence API (`soc_api.ts`): read by the
 * KMS (a refusal is its 400's message), built by its readers.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { auditQuerySearch, parseAuditQuery } from "./soc_query.ts";
 *
 * const search = auditQuerySearch({ tag: "KEY_REFUSED", collapse: true });
 * assertEquals(search, "tag=KEY_REFUSED&collapse=1");
 * const parsed = parseAuditQuery(new URLSearchParams(search));
 * assertEquals(parsed, { ok: true, query: { tag: "KEY_REFUSED", collapse: true } });
 * assertEquals(parseAuditQuery(new URLSearchParams("limit=0")).ok, false);
 * ```
 *
 * @module
 */

import {
  type AuditQuery,
  type LinkHistoryQuery,
  MAX_AUDIT_LIMIT,
  MAX_AUDIT_SEARCH,
  MAX_HISTORY_POINTS,
} from "./soc_api.ts";
import { isDeviceId } from "./types.ts";

/** A parsed query string, or why it is refused (the 400's message). */
export type QueryParse<T> =
  | { ok: true; query: T }
  | { ok: false; reason: string };

const TAG = /^[A-Z][A-Z0-9_]{0,63}$/;
const DECIMAL = /^(0|[1-9][0-9]{0,15})$/;

type Fields = Record<string, string>;

/**
 * The parameters as one value each, every name among `names`; a repeated or
 * unknown one is refused.
 */
function fields(
  params: URLSearchParams,
  names: readonly string[],
): QueryParse<Fields> {
  const out: Fields = {};
  for (const [name, value] of params) {
    if (!names.includes(name)) {
      return {
        ok: false,
        reason: `unknown parameter ${JSON.stringify(name.slice(0, 40))}: ` +
          `use ${names.join(", ")}`,
      };
    }
    if (Object.hasOwn(out, name)) {
      return { ok: false, reason: `${name} is given twice` };
    }
    out[name] = value;
  }
  return { ok: true, query: out };
}

function integer(
  name: string,
  text: string,
  range: { min: number; max: number },
): QueryParse<number> {
  const value = DECIMAL.test(text) ? Number(text) : NaN;
  if (!(value >= range.min && value <= range.max)) {
    return {
      ok: false,
      reason:
        `${name} must be a decimal integer from ${range.min} to ${range.max}, got ${
          JSON.stringify(text.slice(0, 40))
        }`,
    };
  }
  return { ok: true, query: value };
}

/**
 * Reads `GET /link_history`'s query string.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseLinkHistoryQuery } from "./soc_query.ts";
 *
 * const parsed = parseLinkHistoryQuery(new URLSearchParams("since=1000&max=50"));
 * assertEquals(parsed, { ok: true, query: { since: 1000, max: 50 } });
 * assertEquals(parseLinkHistoryQuery(new URLSearchParams("since=2&until=1")).ok, false);
 * assertEquals(parseLinkHistoryQuery(new URLSearchParams("max=-1")).ok, false);
 * ```
 */
export function parseLinkHistoryQuery(
  params: URLSearchParams,
): QueryParse<LinkHistoryQuery> {
  const given = fields(params, ["since", "until", "max"]);
  if (!given.ok) return given;
  const query: LinkHistoryQuery = {};
  const ranges = {
    since: { min: 0, max: Number.MAX_SAFE_INTEGER },
    until: { min: 0, max: Number.MAX_SAFE_INTEGER },
    max: { min: 1, max: MAX_HISTORY_POINTS },
  };
  for (const name of ["since", "until", "max"] as const) {
    const text = given.query[name];
    if (text === undefined) continue;
    const value = integer(name, text, ranges[name]);
    if (!value.ok) return value;
    query[name] = value.query;
  }
  if (
    query.since !== undefined && query.until !== undefined &&
    query.since > query.until
  ) {
    return { ok: false, reason: "since must not be after until" };
  }
  return { ok: true, query };
}

/**
 * Reads `GET /audit`'s query string.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseAuditQuery } from "./soc_query.ts";
 *
 * const parsed = parseAuditQuery(new URLSearchParams("device=Soldier_Alpha&q=red&before=90&format=csv"));
 * assertEquals(parsed, {
 *   ok: true,
 *   query: { device: "Soldier_Alpha", q: "red", before: 90, format: "csv" },
 * });
 * assertEquals(parseAuditQuery(new URLSearchParams("tag=not a tag")).ok, false);
 * assertEquals(parseAuditQuery(new URLSearchParams("collapse=yes")).ok, false);
 * ```
 */
export function parseAuditQuery(
  params: URLSearchParams,
): QueryParse<AuditQuery> {
  const given = fields(params, [
    "tag",
    "device",
    "q",
    "before",
    "limit",
    "collapse",
    "format",
  ]);
  if (!given.ok) return given;
  const { tag, device, q, before, limit, collapse, format } = given.query;
  const query: AuditQuery = {};
  if (tag !== undefined) {
    if (!TAG.test(tag)) {
      return {
        ok: false,
        reason: "tag must be 1 to 64 characters from A-Z 0-9 _, e.g. LINK_RED",
      };
    }
    query.tag = tag;
  }
  if (device !== undefined) {
    if (!isDeviceId(device)) {
      return {
        ok: false,
        reason: "device must be 1 to 64 characters from A-Z a-z 0-9 _ . -",
      };
    }
    query.device = device;
  }
  if (q !== undefined) {
    if (q.length < 1 || q.length > MAX_AUDIT_SEARCH) {
      return {
        ok: false,
        reason: `q must be 1 to ${MAX_AUDIT_SEARCH} characters`,
      };
    }
    query.q = q;
  }
  if (before !== undefined) {
    const value = integer("before", before, {
      min: 1,
      max: Number.MAX_SAFE_INTEGER,
    });
    if (!value.ok) return value;
    query.before = value.query;
  }
  if (limit !== undefined) {
    const value = integer("limit", limit, { min: 1, max: MAX_AUDIT_LIMIT });
    if (!value.ok) return value;
    query.limit = value.query;
  }
  if (collapse !== undefined) {
    if (collapse !== "1" && collapse !== "0") {
      return { ok: false, reason: "collapse must be 1 or 0" };
    }
    query.collapse = collapse === "1";
  }
  if (format !== undefined) {
    if (format !== "json" && format !== "csv") {
      return { ok: false, reason: "format must be json or csv" };
    }
    query.format = format;
  }
  return { ok: true, query };
}

/**
 * The query string of `query` (without `?`), as {@linkcode parseAuditQuery}
 * reads it back.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { auditQuerySearch } from "./soc_query.ts";
 *
 * assertEquals(auditQuerySearch({ q: "a b", before: 7, format: "csv" }), "q=a+b&before=7&format=csv");
 * ```
 */
export function auditQuerySearch(query: AuditQuery): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined) continue;
    params.set(
      name,
      typeof value === "boolean" ? (value ? "1" : "0") : String(value),
    );
  }
  return params.toString();
}

/**
 * The query string of `query` (without `?`), as
 * {@linkcode parseLinkHistoryQuery} reads it back.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { linkHistorySearch } from "./soc_query.ts";
 *
 * assertEquals(linkHistorySearch({ since: 5, max: 300 }), "since=5&max=300");
 * ```
 */
export function linkHistorySearch(query: LinkHistoryQuery): string {
  const params = new URLSearchParams();
  for (const name of ["since", "until", "max"] as const) {
    const value = query[name];
    if (value !== undefined) params.set(name, String(value));
  }
  return params.toString();
}
