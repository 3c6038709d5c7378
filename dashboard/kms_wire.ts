/**
 * The dashboard's trust boundary with the KMS: messages of its `/events`
 * stream and answers of `/link_status` become {@linkcode SocEvent}s that
 * carry only what the view shows, so nothing else the KMS might ever send
 * reaches a browser.
 *
 * @module
 */

import { type KmsEvent, parseKmsEvent } from "../protocol/kms_event.ts";
import type { Incident } from "../protocol/incident.ts";
import type {
  BlockReport,
  LinkReport,
  LinkSettingsReport,
} from "../protocol/link_report.ts";
import { honestBlock } from "./link_expectation.ts";
import type { SocEvent } from "./soc_state.ts";

// 128 bits or more of hex in one run looks like key material; key ids are
// UUIDs, whose dashes keep them well below this.
const HEX_RUN = /[0-9a-f]{32,}/gi;

/**
 * One message of the KMS's `/events` stream (its SSE event name and data) as
 * a {@linkcode SocEvent}. `null` for events that are not the KMS's
 * (`protocol/kms_event.ts` decides) and for those without a view change
 * (`key` and `attack`: their counters come from the next poll).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseKmsMessage } from "./kms_wire.ts";
 *
 * const data = '{"status":"RED","qber":0.25,"rolling_qber":0.2,"eve":true,"qubits":900,"time":"T"}';
 * assertEquals(parseKmsMessage("link", data), {
 *   type: "link",
 *   status: "RED",
 *   qber: 0.25,
 *   time: "T",
 * });
 * assertEquals(parseKmsMessage("link", '{"status":"RED"}'), null);
 * ```
 */
export function parseKmsMessage(name: string, data: string): SocEvent | null {
  const event = parseKmsEvent(name, data);
  return event && toSocEvent(event);
}

function toSocEvent(event: KmsEvent): SocEvent | null {
  switch (event.event) {
    case "state":
      return {
        type: "snapshot",
        status: event.data.status,
        history: [...event.data.history],
        attackMode: event.data.attack_mode,
        link: linkReport(event.data.link),
        // Here, on the server: browsers fold the snapshot without the model.
        expected: honestBlock(event.data.link.settings),
        incidents: {
          open: event.data.incidents?.open
            ? incidentOf(event.data.incidents.open)
            : null,
          recent: (event.data.incidents?.recent ?? []).map(incidentOf),
        },
      };
    case "incident":
      return { type: "incident", incident: incidentOf(event.data) };
    case "link": {
      const { status, qber, time } = event.data;
      return { type: "link", status, qber, time };
    }
    case "block": {
      const { key_rate_bps, pool_bits, pool_capacity_bits } = event.data;
      return {
        type: "block",
        block: blockReport(event.data),
        keyRateBps: key_rate_bps,
        poolBits: pool_bits,
        poolCapacityBits: pool_capacity_bits,
      };
    }
    case "pool": {
      const { change, bits, pool_bits, pool_capacity_bits, time } = event.data;
      return {
        type: "pool",
        change,
        bits,
        poolBits: pool_bits,
        poolCapacityBits: pool_capacity_bits,
        time,
      };
    }
    case "attack_mode":
      return { type: "attack_mode", attackMode: event.data.attack_mode };
    case "reset":
      return { type: "reset" };
    case "audit": {
      const { id, tag, message, at } = event.data;
      return {
        type: "audit",
        entry: { id, tag, message: redactHex(message), at },
      };
    }
    case "attack":
    case "key":
    // The rooms panel asks GET /rooms itself: memberships change rarely.
    case "room":
      return null;
  }
}

/** An incident copied field by field, as the link below. */
export function incidentOf(incident: Incident): Incident {
  return {
    id: incident.id,
    opened_at: incident.opened_at,
    closed_at: incident.closed_at,
    peak_qber: incident.peak_qber,
    first_qber: incident.first_qber,
    blocks: incident.blocks,
    key_refusals: incident.key_refusals,
    affected_devices: [...incident.affected_devices],
    closed_by: incident.closed_by,
    acknowledged_by: incident.acknowledged_by,
    acknowledged_at: incident.acknowledged_at,
    epoch: incident.epoch,
  };
}

/**
 * `message` with runs of 32 or more hex digits (128 bits: key material, by
 * its looks) replaced by `[redacted]`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { redactHex } from "./kms_wire.ts";
 *
 * assertEquals(redactHex(`key=${"0f".repeat(16)} id=5`), "key=[redacted] id=5");
 * ```
 */
export function redactHex(message: string): string {
  return message.replace(HEX_RUN, "[redacted]");
}

// Field by field, so that nothing else a KMS adds reaches a browser.
function linkReport(link: LinkReport): LinkReport {
  return {
    settings: linkSettings(link.settings),
    eve: link.eve,
    key_rate_bps: link.key_rate_bps,
    pool_bits: link.pool_bits,
    pool_capacity_bits: link.pool_capacity_bits,
    blocks: link.blocks,
    last_block: link.last_block && blockReport(link.last_block),
  };
}

function linkSettings(settings: LinkSettingsReport): LinkSettingsReport {
  const [signal, weak, vacuum] = settings.intensities;
  const [pSignal, pWeak, pVacuum] = settings.intensity_probabilities;
  return {
    simulated: true,
    distance_km: settings.distance_km,
    attenuation_db_per_km: settings.attenuation_db_per_km,
    detector_efficiency: settings.detector_efficiency,
    dark_count_probability: settings.dark_count_probability,
    misalignment_error: settings.misalignment_error,
    intensities: [signal, weak, vacuum],
    intensity_probabilities: [pSignal, pWeak, pVacuum],
    key_basis_probability: settings.key_basis_probability,
    pulse_rate_hz: settings.pulse_rate_hz,
    block_size: settings.block_size,
    eps_sec: settings.eps_sec,
    eps_cor: settings.eps_cor,
  };
}

function blockReport(block: BlockReport): BlockReport {
  const { decoy } = block;
  return {
    index: block.index,
    time: block.time,
    outcome: block.outcome,
    ...(block.message === undefined
      ? {}
      : { message: redactHex(block.message) }),
    eve: block.eve,
    qber: block.qber,
    pulses: block.pulses,
    duration_s: block.duration_s,
    detections: block.detections,
    leaked_bits: block.leaked_bits,
    secret_bits: block.secret_bits,
    decoy: decoy && {
      vacuum_detections_lower: decoy.vacuum_detections_lower,
      single_photon_detections_lower: decoy.single_photon_detections_lower,
      phase_error_upper: decoy.phase_error_upper,
    },
  };
}

type Json = Record<string, unknown>;

function record(value: unknown): Json | null {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Json
    : null;
}

function count(value: unknown): number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0
    ? value
    : 0;
}

/**
 * The counters and router heartbeat of a `/link_status` answer; a missing
 * or malformed counter reads as 0. `kmsNow` is the KMS's clock (its `Date`
 * header) in milliseconds.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseLinkStatus } from "./kms_wire.ts";
 *
 * const kmsNow = Date.parse("2026-02-23T05:00:10Z");
 * const body = { total_keys_issued: 2, router_last_seen: "2026-02-23T05:00:07Z" };
 * assertEquals(parseLinkStatus(body, kmsNow), {
 *   type: "counters",
 *   keysIssued: 2,
 *   attacksDetected: 0,
 *   activeSessions: 0,
 *   routerLastSeen: "2026-02-23T05:00:07Z",
 *   routerAgeSeconds: 3,
 * });
 * ```
 */
export function parseLinkStatus(
  body: unknown,
  kmsNow: number,
): SocEvent | null {
  const json = record(body);
  if (!json) return null;
  const lastSeen = typeof json.router_last_seen === "string"
    ? json.router_last_seen
    : null;
  const seenAt = lastSeen === null ? NaN : Date.parse(lastSeen);
  return {
    type: "counters",
    keysIssued: count(json.total_keys_issued),
    attacksDetected: count(json.attacks_detected),
    activeSessions: count(json.active_sessions),
    routerLastSeen: Number.isNaN(seenAt) ? null : lastSeen,
    // The Date header has whole seconds, so a fresh poll can look a little
    // in the future.
    routerAgeSeconds: Number.isNaN(seenAt)
      ? null
      : Math.max(0, Math.round((kmsNow - seenAt) / 1000)),
  };
}

/**
 * The authentication mode in a `/healthz` answer (`"auth":"open"` or
 * `"required"`); `null` when it says neither.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseHealth } from "./kms_wire.ts";
 *
 * assertEquals(parseHealth({ status: "ok", auth: "open" }), { type: "auth", kmsAuth: "open" });
 * assertEquals(parseHealth({ status: "ok" }), { type: "auth", kmsAuth: null });
 * ```
 */
export function parseHealth(
  body: unknown,
): Extract<SocEvent, { type: "auth" }> {
  const auth = record(body)?.auth;
  return {
    type: "auth",
    kmsAuth: auth === "open" || auth === "required" ? auth : null,
  };
}
