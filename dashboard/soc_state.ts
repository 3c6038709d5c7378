/**
 * What the SOC view knows about the KMS, and how each change folds into it.
 *
 * Pure and browser-safe: the dashboard server folds the KMS's event stream
 * (read by `kms_wire.ts`) into a {@linkcode SocState}, sends browsers that
 * state once and then the same {@linkcode SocEvent}s, and the browser folds
 * them with the same {@linkcode reduceSoc}. What each island shows of the
 * state is in `soc_views.ts`.
 *
 * @module
 */

import type { AuditEntry } from "../protocol/kms_event.ts";
import {
  type Incident,
  type LinkIncidents,
  RECENT_INCIDENTS,
} from "../protocol/incident.ts";
import type { LinkReport } from "../protocol/link_report.ts";
import type { HonestBlock } from "./link_expectation.ts";
import type { LinkStatus } from "../protocol/types.ts";
import {
  type LinkBlockUpdate,
  linkFromReport,
  type LinkPoolUpdate,
  type LinkState,
  withBlock,
  withPool,
} from "./link_state.ts";

/** QBER points the history chart keeps. */
export const HISTORY_POINTS = 60;
/** Audit entries the log panel keeps. */
export const AUDIT_ENTRIES = 50;

/** Whether the dashboard is subscribed to the KMS's event stream. */
export type KmsConnection = "connecting" | "live" | "unreachable";

/**
 * What the KMS's `/healthz` says of its bearer tokens: `open` is the seeds'
 * mode (`--open`: anyone may fetch pair keys and press the operator's
 * buttons), `null` until known or when the KMS does not say.
 */
export type KmsAuth = "open" | "required" | null;

/** One block of the link on the history chart. */
export interface QberPoint {
  /** QBER of the run, 0 to 1. */
  qber: number;
  /** ISO time of the block; `null` for blocks from before the dashboard subscribed. */
  time: string | null;
}

/** Everything the SOC view shows about the KMS. */
export interface SocState {
  /** The dashboard's subscription to the KMS. */
  kms: KmsConnection;
  /** Link status as the KMS reports it; `null` until the KMS was reached. */
  status: LinkStatus | null;
  /** Recent blocks, oldest first, at most {@linkcode HISTORY_POINTS}. */
  history: QberPoint[];
  /** Session keys issued (KMS counter). */
  keysIssued: number;
  /** Incidents: times the link turned RED (KMS counter). */
  attacksDetected: number;
  /** Pairs and sessions holding a key. */
  activeSessions: number;
  /** Whether the simulated eavesdropper is on every run. */
  attackMode: boolean;
  /** ISO time the router guard last polled the KMS, or `null` if never. */
  routerLastSeen: string | null;
  /** Seconds since that poll, by the KMS's clock, when last asked. */
  routerAgeSeconds: number | null;
  /**
   * Whether the router guard's rule has chat blocked: it blocks on RED and
   * lifts only on GREEN, so YELLOW keeps what was there.
   */
  chatBlocked: boolean;
  /**
   * Recent audit entries, oldest first, at most {@linkcode AUDIT_ENTRIES};
   * long hex runs in their messages are redacted on the way in.
   */
  audit: AuditEntry[];
  /** The KMS's authentication mode, from its `/healthz`. */
  kmsAuth: KmsAuth;
  /** The simulated QKD link and its key pool; `null` until the KMS was reached. */
  link: LinkState | null;
  /** The open incident and the recent ones, newest first. */
  incidents: LinkIncidents;
}

/** A change to the {@linkcode SocState}. */
export type SocEvent =
  | {
    /** The subscription opened or failed. */
    type: "kms";
    kms: KmsConnection;
  }
  | {
    /** The KMS's state at subscription (`event: state` of its stream). */
    type: "snapshot";
    status: LinkStatus;
    /** The KMS's recent QBER values, oldest first. */
    history: number[];
    attackMode: boolean;
    /** The link, its pool and its latest block. */
    link: LinkReport;
    /** An honest block at the link's settings, `null` when the model refuses them. */
    expected: HonestBlock | null;
    /** The KMS's incidents (none from a KMS before issue 18). */
    incidents: LinkIncidents;
  }
  | {
    /** An incident opened, changed, was acknowledged or closed. */
    type: "incident";
    incident: Incident;
  }
  | {
    /** Counters and the router heartbeat, from a `/link_status` poll. */
    type: "counters";
    keysIssued: number;
    attacksDetected: number;
    activeSessions: number;
    routerLastSeen: string | null;
    routerAgeSeconds: number | null;
  }
  | {
    /** One block of the link. */
    type: "link";
    /** Status after the run. */
    status: LinkStatus;
    /** QBER of the run. */
    qber: number;
    /** ISO time of the run. */
    time: string;
  }
  | ({
    /** A block of the link finished. */
    type: "block";
  } & LinkBlockUpdate)
  | ({
    /** Keys were taken from the pool, or it was flushed. */
    type: "pool";
  } & LinkPoolUpdate)
  | {
    /** Attack mode switched. */
    type: "attack_mode";
    attackMode: boolean;
  }
  | {
    /** An operator reset: the rolling history starts over, GREEN. */
    type: "reset";
  }
  | {
    /** A new audit entry. */
    type: "audit";
    entry: AuditEntry;
  }
  | {
    /** The KMS's authentication mode, asked on each subscription. */
    type: "auth";
    kmsAuth: KmsAuth;
  };

/** The state before the KMS was reached. */
export const INITIAL_SOC_STATE: SocState = {
  kms: "connecting",
  status: null,
  history: [],
  keysIssued: 0,
  attacksDetected: 0,
  activeSessions: 0,
  attackMode: false,
  routerLastSeen: null,
  routerAgeSeconds: null,
  chatBlocked: false,
  audit: [],
  kmsAuth: null,
  link: null,
  incidents: { open: null, recent: [] },
};

/**
 * The incidents with `incident` in them: in place of the one with its id, or
 * first (the newest); the open one is whichever is not closed.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { withIncident } from "./soc_state.ts";
 *
 * const open = {
 *   id: 1, opened_at: 1000, closed_at: null, peak_qber: 0.25, first_qber: 0.25,
 *   blocks: 1, key_refusals: 0, affected_devices: [], closed_by: null,
 *   acknowledged_by: null, acknowledged_at: null, epoch: 1,
 * };
 * const opened = withIncident({ open: null, recent: [] }, open);
 * assertEquals([opened.open?.id, opened.recent.length], [1, 1]);
 * const closed = withIncident(opened, { ...open, closed_at: 9000, closed_by: "Operator" });
 * assertEquals([closed.open, closed.recent[0].closed_by], [null, "Operator"]);
 * ```
 */
export function withIncident(
  incidents: LinkIncidents,
  incident: Incident,
): LinkIncidents {
  const others = incidents.recent.filter((known) => known.id !== incident.id);
  const recent = [...others, incident].sort((a, b) => b.id - a.id)
    .slice(0, RECENT_INCIDENTS);
  const open = incident.closed_at === null
    ? incident
    : incidents.open?.id === incident.id
    ? null
    : incidents.open;
  return { open, recent };
}

function withStatus(state: SocState, next: LinkStatus): SocState {
  const chatBlocked = next === "RED"
    ? true
    : next === "GREEN"
    ? false
    : state.chatBlocked;
  return { ...state, status: next, chatBlocked };
}

/**
 * Keeps our timed points when they end with the KMS's history (a resubscribe
 * with nothing missed); otherwise the KMS's values, untimed.
 */
function mergeHistory(ours: QberPoint[], theirs: number[]): QberPoint[] {
  const tail = ours.slice(-theirs.length);
  const continues = theirs.length === 0
    ? ours.length === 0
    : tail.length === theirs.length &&
      tail.every((point, i) => point.qber === theirs[i]);
  if (continues) return ours;
  return theirs.slice(-HISTORY_POINTS).map((qber) => ({ qber, time: null }));
}

/**
 * Applies one event.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { INITIAL_SOC_STATE, reduceSoc } from "./soc_state.ts";
 *
 * const red = reduceSoc(INITIAL_SOC_STATE, {
 *   type: "link",
 *   status: "RED",
 *   qber: 0.3,
 *   time: "T",
 * });
 * assertEquals([red.status, red.chatBlocked, red.history.length], ["RED", true, 1]);
 * // YELLOW keeps the router guard's block; only GREEN lifts it.
 * const yellow = reduceSoc(red, { type: "link", status: "YELLOW", qber: 0.06, time: "T" });
 * assertEquals(yellow.chatBlocked, true);
 * ```
 */
export function reduceSoc(state: SocState, event: SocEvent): SocState {
  switch (event.type) {
    case "kms":
      // The KMS resends its recent audit entries on every subscription.
      return event.kms === "live"
        ? { ...state, kms: "live", audit: [] }
        : { ...state, kms: event.kms };
    case "snapshot":
      return withStatus({
        ...state,
        history: mergeHistory(state.history, event.history),
        attackMode: event.attackMode,
        link: linkFromReport(event.link, state.link, {
          expected: event.expected,
        }),
        incidents: event.incidents,
      }, event.status);
    case "incident":
      return {
        ...state,
        incidents: withIncident(state.incidents, event.incident),
      };
    case "counters": {
      const { type: _, ...counters } = event;
      return { ...state, ...counters };
    }
    case "link":
      return withStatus({
        ...state,
        history: [...state.history, { qber: event.qber, time: event.time }]
          .slice(-HISTORY_POINTS),
      }, event.status);
    // Every subscription starts with a snapshot, so a link is known by then.
    case "block":
      return state.link
        ? { ...state, link: withBlock(state.link, event) }
        : state;
    case "pool":
      return state.link
        ? { ...state, link: withPool(state.link, event) }
        : state;
    case "attack_mode":
      // Attack mode off is Eve off; which attack comes on, the next block says.
      return {
        ...state,
        attackMode: event.attackMode,
        link: state.link && !event.attackMode
          ? { ...state.link, eve: "none" }
          : state.link,
      };
    case "reset":
      return withStatus({ ...state, history: [] }, "GREEN");
    case "audit": {
      if (state.audit.some((line) => line.id === event.entry.id)) return state;
      return {
        ...state,
        audit: [...state.audit, event.entry].slice(-AUDIT_ENTRIES),
      };
    }
    case "auth":
      return { ...state, kmsAuth: event.kmsAuth };
  }
}
