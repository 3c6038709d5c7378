/**
 * The KMS's live event stream (`GET /events`, Server-Sent Events), typed once
 * for the KMS that publishes it and the dashboard that reads it. Events carry
 * link figures and key metadata, never key material.
 *
 * {@linkcode parseKmsEvent} is the reader's trust boundary: anything that is
 * not one of these events, field for field, is refused.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseKmsEvent } from "./kms_event.ts";
 *
 * const event = parseKmsEvent("attack_mode", '{"attack_mode":true}');
 * assertEquals(event, { event: "attack_mode", data: { attack_mode: true } });
 * assertEquals(parseKmsEvent("attack_mode", '{"attack_mode":"yes"}'), null);
 * ```
 *
 * @module
 */

import { type Incident, isIncident, isLinkIncidents } from "./incident.ts";
import { isCount, isRatio, isRecord, type Json } from "./json_checks.ts";
import {
  type BlockEventData,
  isBlockEventData,
  isLinkReport,
  isPoolEventData,
  type PoolEventData,
} from "./link_report.ts";
import { isRoomSummary, type RoomSummary } from "./room_api.ts";
import { isLinkStatus } from "./link_policy.ts";
import type { LinkStatus, LinkStatusResponse } from "./types.ts";

/** One line of the KMS audit trail. */
export interface AuditEntry {
  /** Row id, increasing. */
  id: number;
  /** QSEC2-style tag without brackets, e.g. KEY_ISSUED. */
  tag: string;
  /** `key=value` details: never key material. */
  message: string;
  /** ISO time. */
  at: string;
}

/** One finished block on the link: its QBER and the status it left. */
export interface LinkEventData {
  /** The link's status after the run. */
  status: LinkStatus;
  /** The run's QBER. */
  qber: number;
  /** The rolling average the status follows. */
  rolling_qber: number;
  /** Whether Eve was on the channel for this run. */
  eve: boolean;
  /** Qubits the run used. */
  qubits: number;
  /** ISO time of the run. */
  time: string;
}

/** A key handed out: who got it and under which id, never the key. */
export interface KeyEventData {
  /** The device the key went to. */
  device: string;
  /** The pair's other device, or null for an ETSI key. */
  peer: string | null;
  /** The key's id. */
  key_id: string;
  /** QBER of the run the key came from. */
  qber: number;
  /** What kind of key (pair or ETSI). */
  kind: string;
  /** ISO time. */
  time: string;
}

/**
 * A squad room changed (a join, a leave, a reset's new epoch): who is in
 * it, never the membership text or a key.
 */
export interface RoomEventData extends RoomSummary {
  /** Whether its last member left: the room is gone (no members). */
  terminated: boolean;
}

/** Every event the KMS publishes, by SSE event name. */
export type KmsEvent =
  | { event: "state"; data: LinkStatusResponse }
  | { event: "link"; data: LinkEventData }
  | { event: "block"; data: BlockEventData }
  | { event: "pool"; data: PoolEventData }
  | { event: "attack"; data: { qber: number; time: string } }
  | { event: "attack_mode"; data: { attack_mode: boolean } }
  | { event: "reset"; data: { status: "GREEN"; time: string } }
  | { event: "key"; data: KeyEventData }
  | { event: "audit"; data: AuditEntry }
  | { event: "room"; data: RoomEventData }
  /** An incident opened, changed (at most once a second), was acknowledged or closed. */
  | { event: "incident"; data: Incident };

/** The SSE event names of {@linkcode KmsEvent}. */
export type KmsEventName = KmsEvent["event"];

/**
 * Whether `body` is a whole `GET /link_status` answer (the same shape as the
 * `state` event), so a reader can use it without casting.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { isLinkStatusResponse } from "./kms_event.ts";
 *
 * assertEquals(isLinkStatusResponse({ status: "GREEN" }), false);
 * ```
 */
export function isLinkStatusResponse(
  body: unknown,
): body is LinkStatusResponse {
  return isRecord(body) && VALIDATORS.state(body);
}

/**
 * Reads one SSE event (its name and data text) as a {@linkcode KmsEvent},
 * or `null` when it is not one.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseKmsEvent } from "./kms_event.ts";
 *
 * const data = '{"status":"RED","qber":0.25,"rolling_qber":0.2,"eve":true,"qubits":900,"time":"T"}';
 * assertEquals(parseKmsEvent("link", data)?.event, "link");
 * assertEquals(parseKmsEvent("link", '{"status":"PURPLE"}'), null);
 * assertEquals(parseKmsEvent("nonsense", "{}"), null);
 * ```
 */
export function parseKmsEvent(name: string, data: string): KmsEvent | null {
  let body: unknown;
  try {
    body = JSON.parse(data);
  } catch {
    return null;
  }
  if (!isRecord(body)) return null;
  const valid = VALIDATORS[name as KmsEventName];
  if (!valid || !Object.hasOwn(VALIDATORS, name) || !valid(body)) return null;
  return { event: name, data: body } as KmsEvent;
}

const VALIDATORS: Record<KmsEventName, (body: Json) => boolean> = {
  state: (b) =>
    isLinkStatus(b.status) && isRatio(b.qber) && isCount(b.total_keys_issued) &&
    isCount(b.attacks_detected) && isCount(b.active_sessions) &&
    Array.isArray(b.history) && b.history.every(isRatio) &&
    (b.router_last_seen === null || typeof b.router_last_seen === "string") &&
    typeof b.attack_mode === "boolean" && isLinkReport(b.link) &&
    (b.incidents === undefined || isLinkIncidents(b.incidents)),
  link: (b) =>
    isLinkStatus(b.status) && isRatio(b.qber) && isRatio(b.rolling_qber) &&
    typeof b.eve === "boolean" && isCount(b.qubits) &&
    typeof b.time === "string",
  block: isBlockEventData,
  pool: isPoolEventData,
  attack: (b) => isRatio(b.qber) && typeof b.time === "string",
  attack_mode: (b) => typeof b.attack_mode === "boolean",
  reset: (b) => b.status === "GREEN" && typeof b.time === "string",
  key: (b) =>
    typeof b.device === "string" &&
    (b.peer === null || typeof b.peer === "string") &&
    typeof b.key_id === "string" && isRatio(b.qber) &&
    typeof b.kind === "string" && typeof b.time === "string",
  audit: (b) =>
    isCount(b.id) && typeof b.tag === "string" &&
    typeof b.message === "string" && typeof b.at === "string",
  room: (b) => isRoomSummary(b) && typeof b.terminated === "boolean",
  incident: isIncident,
};
