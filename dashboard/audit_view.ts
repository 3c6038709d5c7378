/**
 * The audit view's words and links: a collapsed run of rows as one line
 * ("KEY_REFUSED ×34 from Soldier_Alpha, 18:02–18:04") and the URLs of the
 * query, its next page and its exports, on this server (which asks the KMS
 * with its operator credential). Pure and browser-safe.
 *
 * @module
 */

import type { AuditQuery, AuditRow } from "../protocol/soc_api.ts";
import { auditQuerySearch } from "../protocol/soc_query.ts";

/** The analyst's filters, as the form holds them. */
export interface AuditFilters {
  /** A tag, e.g. LINK_RED; "" for all. */
  tag: string;
  /** A device, e.g. Soldier_Alpha; "" for all. */
  device: string;
  /** Text to search for; "" for none. */
  q: string;
  /** Collapse runs of the same tag and device. */
  collapse: boolean;
}

/** Rows per page. */
export const AUDIT_PAGE = 50;

/** Tags the KMS writes that an analyst looks for first, for the tag field's suggestions. */
export const KNOWN_TAGS = [
  "LINK_RED",
  "LINK_YELLOW",
  "LINK_GREEN",
  "KEY_REFUSED",
  "ATTACK_DETECTED",
  "ALERT_ACKNOWLEDGED",
  "RESET",
  "EVE_ACTIVATED",
  "EVE_DEACTIVATED",
  "KEY_ISSUED",
] as const;

function hhmm(ms: number, seconds: boolean): string {
  const iso = new Date(ms).toISOString();
  return seconds ? iso.slice(11, 19) : iso.slice(11, 16);
}

/**
 * One row in words: its tag, how many it stands for and from which device,
 * and when (UTC; a range for a collapsed run).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { auditSentence } from "./audit_view.ts";
 *
 * const row = {
 *   id: 90, at: Date.parse("2026-02-23T18:04:05Z"), tag: "KEY_REFUSED", message: "device=Soldier_Alpha",
 *   device: "Soldier_Alpha", count: 34, first_at: Date.parse("2026-02-23T18:02:01Z"),
 *   last_at: Date.parse("2026-02-23T18:04:05Z"),
 * };
 * assertEquals(auditSentence(row), "KEY_REFUSED ×34 from Soldier_Alpha, 18:02–18:04");
 * assertEquals(auditSentence({ ...row, count: 1, device: null }), "KEY_REFUSED, 18:04:05");
 * ```
 */
export function auditSentence(row: AuditRow): string {
  const from = row.device === null ? "" : ` from ${row.device}`;
  if (row.count <= 1) {
    return `${row.tag}${from}, ${hhmm(row.at, true)}`;
  }
  return `${row.tag} ×${row.count}${from}, ${hhmm(row.first_at, false)}–${
    hhmm(row.last_at, false)
  }`;
}

/** The KMS query of `filters`, `before` a row id, or as an export. */
export function auditQuery(
  filters: AuditFilters,
  options: { before?: number; format?: "json" | "csv" } = {},
): AuditQuery {
  return {
    ...(filters.tag.trim() ? { tag: filters.tag.trim().toUpperCase() } : {}),
    ...(filters.device.trim() ? { device: filters.device.trim() } : {}),
    ...(filters.q.trim() ? { q: filters.q.trim() } : {}),
    ...(options.before === undefined ? {} : { before: options.before }),
    limit: AUDIT_PAGE,
    ...(filters.collapse ? { collapse: true } : {}),
    ...(options.format ? { format: options.format } : {}),
  };
}

/**
 * This server's URL for `filters`: a page (before a row id) or an export.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { auditHref } from "./audit_view.ts";
 *
 * const filters = { tag: "link_red", device: "", q: "", collapse: true };
 * assertEquals(auditHref(filters), "/api/audit?tag=LINK_RED&limit=50&collapse=1");
 * assertEquals(
 *   auditHref(filters, { format: "json" }),
 *   "/api/audit?tag=LINK_RED&limit=50&collapse=1&format=json&download=1",
 * );
 * ```
 */
export function auditHref(
  filters: AuditFilters,
  options: { before?: number; format?: "json" | "csv" } = {},
): string {
  const search = auditQuerySearch(auditQuery(filters, options));
  // A JSON export is a download; the page's own JSON is not.
  const download = options.format === "json" ? "&download=1" : "";
  return `/api/audit?${search}${download}`;
}
