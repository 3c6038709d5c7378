/**
 * The audit log as an analyst searches it (`GET /audit`): by tag, by the
 * device a row names (the indexed `device` column), by text, a page at a
 * time, newest first, and optionally with runs of repeated rows collapsed
 * ("KEY_REFUSED ×34 from Soldier_Alpha, 18:02–18:04"). Collapsing is a way
 * of reading: every row stays in the log.
 *
 * @module
 */

import type {
  AuditQuery,
  AuditQueryResponse,
  AuditRow,
} from "../protocol/mod.ts";
import { DEFAULT_AUDIT_LIMIT } from "../protocol/mod.ts";
import { stringifyCsv } from "../common/std.ts";
import type { KmsStore } from "./store.ts";

interface LogRow {
  id: number;
  tag: string;
  message: string;
  at: string;
  device: string | null;
}

// A change of the link's state ends every run: refusals before a reset
// and after it are two runs.
const LANDMARK = /^(RESET|LINK_[A-Z0-9_]+|INCIDENT_[A-Z0-9_]+)$/;

// A rate limiter's summary (audit.ts) stands for the rows it left out.
const SUMMARY = /(?:^|\s)repeated=(\d+) in \d+s$/;

/**
 * The events an audit message stands for: 1, or N for a rate limiter's
 * summary (`... repeated=N in 10s`).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { auditWeight } from "./audit_query.ts";
 *
 * assertEquals(auditWeight("device=A peer=B status=RED"), 1);
 * assertEquals(auditWeight("source=device=A repeated=31 in 10s"), 31);
 * ```
 */
export function auditWeight(message: string): number {
  const repeated = SUMMARY.exec(message);
  return repeated ? Number(repeated[1]) : 1;
}

function auditRow(row: LogRow): AuditRow {
  const at = Date.parse(row.at);
  return {
    id: row.id,
    at,
    tag: row.tag,
    message: row.message,
    device: row.device,
    count: auditWeight(row.message),
    first_at: at,
    last_at: at,
  };
}

// `%`, `_` and the escape itself match only themselves.
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function matchingRows(store: KmsStore, query: AuditQuery): Iterable<LogRow> {
  const where: string[] = [];
  const values: (string | number)[] = [];
  if (query.tag !== undefined) {
    where.push("tag = ?");
    values.push(query.tag);
  }
  if (query.device !== undefined) {
    where.push("device = ?");
    values.push(query.device);
  }
  if (query.q !== undefined) {
    where.push("(message LIKE ? ESCAPE '\\' OR tag LIKE ? ESCAPE '\\')");
    values.push(likePattern(query.q), likePattern(query.q));
  }
  if (query.before !== undefined) {
    where.push("id < ?");
    values.push(query.before);
  }
  const filter = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
  return store.statement(
    `SELECT id, tag, message, at, device FROM audit_log ${filter} ORDER BY id DESC`,
  ).iterate(...values) as Iterable<LogRow>;
}

/**
 * One page of the audit log as `query` asks (newest first, at most
 * `query.limit` rows, default 100). With `query.collapse`, consecutive rows
 * of the same tag and device are one row: consecutive among the rows of
 * that device (rows naming no device count as one series), so two devices
 * refused in turn give one run each, while any other row of the device
 * (a `KEY_ISSUED` between two `KEY_REFUSED`) ends its run, and a change of
 * the link's state (`RESET`, `LINK_*`, `INCIDENT_*`) ends every run. A run
 * can go on at the top of the next page.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { queryAudit } from "./audit_query.ts";
 * import { KmsStore } from "./store.ts";
 *
 * const store = new KmsStore(":memory:");
 * store.audit("LINK_RED", "from=YELLOW rolling_qber=0.140");
 * for (let i = 0; i < 3; i++) {
 *   store.audit("KEY_REFUSED", "device=Soldier_Alpha status=RED");
 *   store.audit("KEY_REFUSED", "device=Soldier_Bravo status=RED");
 * }
 * const page = queryAudit(store, { collapse: true });
 * assertEquals(
 *   page.rows.map((r) => [r.tag, r.device, r.count]),
 *   [["KEY_REFUSED", "Soldier_Bravo", 3], ["KEY_REFUSED", "Soldier_Alpha", 3], ["LINK_RED", null, 1]],
 * );
 * assertEquals(queryAudit(store, { tag: "LINK_RED" }).rows.length, 1);
 * store.close();
 * ```
 */
export function queryAudit(
  store: KmsStore,
  query: AuditQuery,
): AuditQueryResponse {
  const limit = query.limit ?? DEFAULT_AUDIT_LIMIT;
  const rows: AuditRow[] = [];
  // Each device's run being collapsed (the key "" for rows naming none).
  const runs = new Map<string, AuditRow>();
  let oldest: number | null = null;
  for (const raw of matchingRows(store, query)) {
    const series = raw.device ?? "";
    if (LANDMARK.test(raw.tag)) runs.clear();
    const run = query.collapse ? runs.get(series) : undefined;
    if (run && run.tag === raw.tag) {
      run.count += auditWeight(raw.message);
      run.first_at = Date.parse(raw.at);
    } else {
      if (rows.length === limit) {
        return { rows, next_before: oldest };
      }
      const row = auditRow(raw);
      rows.push(row);
      runs.set(series, row);
    }
    oldest = raw.id;
  }
  return { rows, next_before: null };
}

/** The columns of the CSV export, in order. */
export const AUDIT_CSV_COLUMNS = [
  "id",
  "at",
  "tag",
  "device",
  "count",
  "first_at",
  "last_at",
  "message",
] as const;

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * Audit rows as CSV (RFC 4180, CRLF, a header line), times as ISO 8601 for
 * a spreadsheet.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { auditCsv } from "./audit_query.ts";
 *
 * const csv = auditCsv([{
 *   id: 7, at: 0, tag: "RESET", message: "actor=Operator, twice", device: null,
 *   count: 1, first_at: 0, last_at: 0,
 * }]);
 * assertEquals(csv.split("\r\n"), [
 *   "id,at,tag,device,count,first_at,last_at,message",
 *   '7,1970-01-01T00:00:00.000Z,RESET,,1,1970-01-01T00:00:00.000Z,1970-01-01T00:00:00.000Z,"actor=Operator, twice"',
 *   "",
 * ]);
 * ```
 */
export function auditCsv(rows: readonly AuditRow[]): string {
  return stringifyCsv(
    rows.map((row) => ({
      ...row,
      device: row.device ?? "",
      at: iso(row.at),
      first_at: iso(row.first_at),
      last_at: iso(row.last_at),
    })),
    { columns: AUDIT_CSV_COLUMNS },
  );
}
