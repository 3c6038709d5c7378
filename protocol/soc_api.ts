/**
 * The KMS's evidence API for the SOC dashboard (operator's token): the
 * persisted block history across resets (`GET /link_history`) and the audit
 * log query (`GET /audit`). Typed once, with the validators its readers use;
 * the query strings are read and built by `soc_query.ts`. Times are Unix ms.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { isAuditQueryResponse } from "./soc_api.ts";
 *
 * assertEquals(isAuditQueryResponse({ rows: [], next_before: null }), true);
 * assertEquals(isAuditQueryResponse({ rows: [{ id: 1 }], next_before: null }), false);
 * ```
 *
 * @module
 */

import {
  isCount,
  isNonNegative,
  isRatio,
  isRecord,
  type Json,
} from "./json_checks.ts";
import { type EveMode, isEveMode } from "./link_report.ts";
import { isLinkStatus } from "./link_policy.ts";
import { isDeviceId, type LinkStatus } from "./types.ts";

/** One epoch of the link's history: from a start or a reset to the next. */
export interface LinkEpoch {
  /** Increasing number, 1 for the first. */
  epoch: number;
  /** When it began, Unix ms. */
  started_at: number;
  /** The operator whose reset began it; null for the KMS's first start. */
  reset_by: string | null;
}

/** One block of the history (or the highest-QBER block of a time bucket). */
export interface LinkHistoryBlock {
  /** When the block finished, Unix ms. */
  at: number;
  /** The block's key-basis QBER, 0..1. */
  qber: number;
  /** The rolling average of five the status followed after it. */
  rolling_qber: number;
  /** The status it left the link in. */
  status: LinkStatus;
  /** The epoch it ran in. */
  epoch: number;
  /** The attack the simulated eavesdropper ran on it. */
  eve: EveMode;
  /**
   * Gains Q_μ of the signal, weak decoy and vacuum intensities (sifted
   * detections per pulse of that intensity sent with matching bases), or
   * null for a block recorded without them.
   */
  gains: [number, number, number] | null;
  /** s_X,1, the single-photon detections' lower bound, or null. */
  single_photon_lower: number | null;
  /** Secret bits it added to the pool. */
  secret_bits: number;
  /** Blocks this point stands for (1, or a downsampled bucket's size). */
  count: number;
}

/** Answer of `GET /link_history`. */
export interface LinkHistoryResponse {
  /** The epochs the window overlaps, oldest first. */
  epochs: LinkEpoch[];
  /** The blocks, oldest first, at most `max` (downsampled by time bucket). */
  blocks: LinkHistoryBlock[];
}

/** `GET /link_history`'s parameters. */
export interface LinkHistoryQuery {
  /** From (Unix ms, inclusive); default 24 h before `until`. */
  since?: number;
  /** To (Unix ms, inclusive); default now. */
  until?: number;
  /** Most points (1 to {@linkcode MAX_HISTORY_POINTS}); default 600. */
  max?: number;
}

/** Points `GET /link_history` answers when the query names no `max`. */
export const DEFAULT_HISTORY_POINTS = 600;
/** Most points one `GET /link_history` answers. */
export const MAX_HISTORY_POINTS = 10_000;

/** One row of `GET /audit` (or a collapsed run of rows). */
export interface AuditRow {
  /** The row's id (a collapsed run's newest). */
  id: number;
  /** When it was written (a collapsed run's newest), Unix ms. */
  at: number;
  /** Tag without brackets, e.g. KEY_REFUSED. */
  tag: string;
  /** `key=value` details (a collapsed run's newest row's). */
  message: string;
  /** The device the row names (`device=`, `to=` or `sae=`), or null. */
  device: string | null;
  /**
   * Events it stands for: 1 per row, N for a rate limiter's summary row
   * (`repeated=N`), summed over a collapsed run.
   */
  count: number;
  /** A collapsed run's oldest row's time, Unix ms (`at` for one row). */
  first_at: number;
  /** Its newest row's time, Unix ms (= `at`). */
  last_at: number;
}

/** Answer of `GET /audit` (`format=json`). */
export interface AuditQueryResponse {
  /** Newest first. */
  rows: AuditRow[];
  /** Pass as `before` for the next (older) page; null on the last. */
  next_before: number | null;
}

/** `GET /audit`'s parameters. */
export interface AuditQuery {
  /** Only this tag. */
  tag?: string;
  /** Only rows naming this device. */
  device?: string;
  /** Only rows whose tag or message contains this text (any case). */
  q?: string;
  /** Only rows with an id below this (the previous page's `next_before`). */
  before?: number;
  /** Rows per page, 1 to {@linkcode MAX_AUDIT_LIMIT}; default 100. */
  limit?: number;
  /**
   * Collapse runs: consecutive rows of the same tag and device (consecutive
   * among that device's rows, rows naming no device counting as one) become
   * one row with their `count` and first and last times. A change of the
   * link's state (`RESET`, `LINK_*`, `INCIDENT_*`) ends every run.
   */
  collapse?: boolean;
  /** `json` (default) or `csv` (RFC 4180, a header line, ISO times). */
  format?: "json" | "csv";
}

/** Rows per `GET /audit` page when the query names no `limit`. */
export const DEFAULT_AUDIT_LIMIT = 100;
/** Most rows per `GET /audit` page. */
export const MAX_AUDIT_LIMIT = 1000;
/** Longest search text. */
export const MAX_AUDIT_SEARCH = 200;

function isEpoch(value: unknown): value is LinkEpoch {
  return isRecord(value) && isCount(value.epoch) && value.epoch >= 1 &&
    isCount(value.started_at) &&
    (value.reset_by === null || typeof value.reset_by === "string");
}

function isGains(value: unknown): value is [number, number, number] {
  return Array.isArray(value) && value.length === 3 && value.every(isRatio);
}

function isHistoryBlock(value: unknown): value is LinkHistoryBlock {
  if (!isRecord(value)) return false;
  const v: Json = value;
  return isCount(v.at) && isRatio(v.qber) && isRatio(v.rolling_qber) &&
    isLinkStatus(v.status) && isCount(v.epoch) && isEveMode(v.eve) &&
    (v.gains === null || isGains(v.gains)) &&
    (v.single_photon_lower === null || isNonNegative(v.single_photon_lower)) &&
    isCount(v.secret_bits) && isCount(v.count) && v.count >= 1;
}

/**
 * Whether `value` is a whole {@linkcode LinkHistoryResponse}, field for
 * field.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { isLinkHistoryResponse } from "./soc_api.ts";
 *
 * const epochs = [{ epoch: 1, started_at: 0, reset_by: null }];
 * assertEquals(isLinkHistoryResponse({ epochs, blocks: [] }), true);
 * assertEquals(isLinkHistoryResponse({ epochs }), false);
 * ```
 */
export function isLinkHistoryResponse(
  value: unknown,
): value is LinkHistoryResponse {
  return isRecord(value) && Array.isArray(value.epochs) &&
    value.epochs.every(isEpoch) && Array.isArray(value.blocks) &&
    value.blocks.every(isHistoryBlock);
}

function isAuditRow(value: unknown): value is AuditRow {
  if (!isRecord(value)) return false;
  const v: Json = value;
  return isCount(v.id) && v.id >= 1 && isCount(v.at) &&
    typeof v.tag === "string" && typeof v.message === "string" &&
    (v.device === null || isDeviceId(v.device)) && isCount(v.count) &&
    isCount(v.first_at) && isCount(v.last_at) && v.first_at <= v.last_at;
}

/**
 * Whether `value` is a whole {@linkcode AuditQueryResponse}, field for
 * field.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { isAuditQueryResponse } from "./soc_api.ts";
 *
 * const row = {
 *   id: 9, at: 2000, tag: "KEY_REFUSED", message: "device=A", device: "A",
 *   count: 34, first_at: 1000, last_at: 2000,
 * };
 * assertEquals(isAuditQueryResponse({ rows: [row], next_before: null }), true);
 * assertEquals(isAuditQueryResponse({ rows: [{ ...row, device: 5 }], next_before: null }), false);
 * ```
 */
export function isAuditQueryResponse(
  value: unknown,
): value is AuditQueryResponse {
  return isRecord(value) && Array.isArray(value.rows) &&
    value.rows.every(isAuditRow) &&
    (value.next_before === null ||
      (isCount(value.next_before) && value.next_before >= 1));
}
