/**
 * An incident on the QKD link, as the KMS records it and the SOC dashboard
 * shows it: it opens when the link's status turns RED (the rolling average
 * of five blocks reached 11%, `link_policy.ts`), counts the RED blocks, the
 * peak QBER and the key requests refused meanwhile (with the devices that
 * made them), and closes when an operator resets the link. Typed once for
 * the KMS (`GET /link_status`'s `incidents`, the `incident` event,
 * `POST /incidents/acknowledge`) and its readers. Times are Unix ms.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { isIncident } from "./incident.ts";
 *
 * const open = {
 *   id: 1, opened_at: 1_700_000_000_000, closed_at: null, peak_qber: 0.26,
 *   first_qber: 0.25, blocks: 3, key_refusals: 34,
 *   affected_devices: ["Soldier_Alpha"], closed_by: null,
 *   acknowledged_by: null, acknowledged_at: null, epoch: 1,
 * };
 * assertEquals(isIncident(open), true);
 * assertEquals(isIncident({ ...open, peak_qber: 2 }), false);
 * ```
 *
 * @module
 */

import { isCount, isRatio, isRecord } from "./json_checks.ts";
import { isDeviceId } from "./types.ts";

/** One incident: from the link turning RED to the reset that ended it. */
export interface Incident {
  /** Increasing id. */
  id: number;
  /** When the link turned RED, Unix ms. */
  opened_at: number;
  /** When an operator reset the link, Unix ms; null while open. */
  closed_at: number | null;
  /** Highest block QBER while open (RED blocks only), 0..1. */
  peak_qber: number;
  /** QBER of the block that turned the link RED, 0..1. */
  first_qber: number;
  /** Blocks recorded while the link was RED. */
  blocks: number;
  /** Key requests refused because the link was RED (each one counted). */
  key_refusals: number;
  /** The devices (and SAEs) refused, sorted. */
  affected_devices: string[];
  /** The operator whose reset closed it (`anonymous` under `--open`). */
  closed_by: string | null;
  /** The operator who acknowledged it, or null. */
  acknowledged_by: string | null;
  /** When it was acknowledged, Unix ms, or null. */
  acknowledged_at: number | null;
  /** The link history epoch it opened in (`soc_api.ts`'s `LinkEpoch`). */
  epoch: number;
}

/** How many incidents `incidents.recent` lists. */
export const RECENT_INCIDENTS = 20;

/** `GET /link_status`'s (and the `state` event's) `incidents`. */
export interface LinkIncidents {
  /** The incident open now, or null. */
  open: Incident | null;
  /**
   * The last {@linkcode RECENT_INCIDENTS} incidents, newest first, the open
   * one (if any) first among them.
   */
  recent: Incident[];
}

/** Body of `POST /incidents/acknowledge` (an operator's token). */
export interface IncidentAcknowledgeRequest {
  /** The incident's id. */
  incident_id: number;
}

/** Longest operator name an incident carries (enrolled names, `anonymous`). */
const MAX_NAME_LENGTH = 64;

function isName(value: unknown): value is string {
  return typeof value === "string" && value.length >= 1 &&
    value.length <= MAX_NAME_LENGTH;
}

function isTime(value: unknown): value is number {
  return isCount(value);
}

/**
 * Whether `value` is an {@linkcode Incident}, field for field.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { isIncident } from "./incident.ts";
 *
 * assertEquals(isIncident({ id: 1 }), false);
 * ```
 */
export function isIncident(value: unknown): value is Incident {
  if (!isRecord(value)) return false;
  const v = value;
  const closed = v.closed_at !== null;
  const acknowledged = v.acknowledged_at !== null;
  return isCount(v.id) && v.id >= 1 && isTime(v.opened_at) &&
    (v.closed_at === null || isTime(v.closed_at)) &&
    isRatio(v.peak_qber) && isRatio(v.first_qber) && isCount(v.blocks) &&
    isCount(v.key_refusals) && Array.isArray(v.affected_devices) &&
    v.affected_devices.every(isDeviceId) &&
    (v.closed_by === null || isName(v.closed_by)) &&
    // Closed and its closer, acknowledged and its acknowledger, go together.
    (v.closed_by === null) === !closed &&
    (v.acknowledged_by === null || isName(v.acknowledged_by)) &&
    (v.acknowledged_at === null || isTime(v.acknowledged_at)) &&
    (v.acknowledged_by === null) === !acknowledged && isCount(v.epoch);
}

/**
 * Whether `value` is a {@linkcode LinkIncidents}.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { isLinkIncidents } from "./incident.ts";
 *
 * assertEquals(isLinkIncidents({ open: null, recent: [] }), true);
 * assertEquals(isLinkIncidents({ open: null }), false);
 * ```
 */
export function isLinkIncidents(value: unknown): value is LinkIncidents {
  return isRecord(value) &&
    (value.open === null || isIncident(value.open)) &&
    Array.isArray(value.recent) &&
    value.recent.length <= RECENT_INCIDENTS && value.recent.every(isIncident);
}
