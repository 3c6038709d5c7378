/**
 * What the SOC view knows about the KMS, and how each KMS event changes it.
 *
 * Pure and browser-safe: the dashboard server folds the KMS's event stream
 * into a {@linkcode SocState}, sends browsers that state once and then the
 * same {@linkcode SocEvent}s, and the browser folds them with the same
 * {@linkcode reduceSoc}. The `view` functions pick what each island shows, on
 * the server (its first render) and in the browser (live).
 *
 * @module
 */

import type { LinkStatus } from "../protocol/types.ts";

/** QBER of a run at or above which the KMS counts an attack (and goes RED on average). */
export const RED_QBER = 0.11;
/** Rolling QBER at or above which the KMS reports YELLOW. */
export const YELLOW_QBER = 0.05;
/** Runs in the KMS's rolling average (its link policy). */
export const ROLLING_WINDOW = 5;
/**
 * A router guard that polled within this many seconds is alive: about three
 * times its default `POLL_INTERVAL` of 3 s.
 */
export const ROUTER_ALIVE_SECONDS = 10;
/** QBER points the history chart keeps. */
export const HISTORY_POINTS = 60;
/** Audit entries the log panel keeps. */
export const AUDIT_ENTRIES = 50;

/** Whether the dashboard is subscribed to the KMS's event stream. */
export type KmsConnection = "connecting" | "live" | "unreachable";

/** One BB84 run on the history chart. */
export interface QberPoint {
  /** QBER of the run, 0 to 1. */
  qber: number;
  /** ISO time of the run; `null` for runs from before the dashboard subscribed. */
  time: string | null;
}

/** One KMS audit entry: a QSEC2-style tag and `key=value` details. */
export interface AuditLine {
  /** Row id in the KMS's audit log, increasing. */
  id: number;
  /** Tag without brackets, e.g. `ATTACK_DETECTED`. */
  tag: string;
  /** Details; long hex runs are redacted on the way in. */
  message: string;
  /** ISO time. */
  at: string;
}

/** Everything the SOC view shows about the KMS. */
export interface SocState {
  /** The dashboard's subscription to the KMS. */
  kms: KmsConnection;
  /** Link status as the KMS reports it; `null` until the KMS was reached. */
  status: LinkStatus | null;
  /** Recent runs, oldest first, at most {@linkcode HISTORY_POINTS}. */
  history: QberPoint[];
  /** Session keys issued (KMS counter). */
  keysIssued: number;
  /** Runs whose QBER showed an eavesdropper (KMS counter). */
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
  /** Recent audit entries, oldest first, at most {@linkcode AUDIT_ENTRIES}. */
  audit: AuditLine[];
}

/** A change to the {@linkcode SocState}. */
export type SocEvent =
  | {
    /** The subscription opened or failed. */
    type: "kms";
    /** The new connection state. */
    kms: KmsConnection;
  }
  | {
    /** The KMS's state at subscription (`event: state` of its stream). */
    type: "snapshot";
    /** Link status. */
    status: LinkStatus;
    /** The KMS's recent QBER values, oldest first. */
    history: number[];
    /** Attack mode. */
    attackMode: boolean;
  }
  | {
    /** Counters and the router heartbeat, from a `/link_status` poll. */
    type: "counters";
    /** Keys issued. */
    keysIssued: number;
    /** Attacks detected. */
    attacksDetected: number;
    /** Active sessions. */
    activeSessions: number;
    /** Last router poll. */
    routerLastSeen: string | null;
    /** Seconds since it. */
    routerAgeSeconds: number | null;
  }
  | {
    /** One BB84 run. */
    type: "link";
    /** Status after the run. */
    status: LinkStatus;
    /** QBER of the run. */
    qber: number;
    /** ISO time of the run. */
    time: string;
  }
  | {
    /** Attack mode switched. */
    type: "attack_mode";
    /** The new mode. */
    attackMode: boolean;
  }
  | {
    /** An operator reset: history cleared, GREEN. */
    type: "reset";
  }
  | {
    /** A new audit entry. */
    type: "audit";
    /** The entry. */
    entry: AuditLine;
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
};

const STATUSES: readonly string[] = ["GREEN", "YELLOW", "RED"];
// 128 bits or more of hex in one run looks like key material; key ids are
// UUIDs, whose dashes keep them well below this.
const HEX_RUN = /[0-9a-f]{32,}/gi;

type Json = Record<string, unknown>;

function record(value: unknown): Json | null {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Json
    : null;
}

function status(value: unknown): LinkStatus | null {
  return typeof value === "string" && STATUSES.includes(value)
    ? value as LinkStatus
    : null;
}

function ratio(value: unknown): number | null {
  return typeof value === "number" && value >= 0 && value <= 1 ? value : null;
}

function count(value: unknown): number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0
    ? value
    : 0;
}

function text(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

/**
 * Turns one message of the KMS's `/events` stream into a {@linkcode SocEvent},
 * keeping only the fields the view shows (so nothing else the KMS might ever
 * send reaches a browser). `null` for events without a view change (`key` and
 * `attack`: their counters come from the next poll) and for malformed ones.
 *
 * @example
 * ```ts
 * import { parseKmsEvent } from "./soc_state.ts";
 * const event = parseKmsEvent("link", '{"status":"RED","qber":0.25,"time":"T","eve":true}');
 * console.log(event); // { type: "link", status: "RED", qber: 0.25, time: "T" }
 * ```
 */
export function parseKmsEvent(name: string, data: string): SocEvent | null {
  let body: Json | null;
  try {
    body = record(JSON.parse(data));
  } catch {
    return null;
  }
  if (!body) return null;
  switch (name) {
    case "state": {
      const linkStatus = status(body.status);
      if (!linkStatus || !Array.isArray(body.history)) return null;
      return {
        type: "snapshot",
        status: linkStatus,
        history: body.history.filter((q): q is number => ratio(q) !== null),
        attackMode: body.attack_mode === true,
      };
    }
    case "link": {
      const linkStatus = status(body.status);
      const qber = ratio(body.qber);
      const time = text(body.time);
      if (!linkStatus || qber === null || time === null) return null;
      return { type: "link", status: linkStatus, qber, time };
    }
    case "attack_mode":
      return { type: "attack_mode", attackMode: body.attack_mode === true };
    case "reset":
      return { type: "reset" };
    case "audit": {
      const tag = text(body.tag), message = text(body.message);
      const at = text(body.at), id = body.id;
      if (tag === null || message === null || at === null) return null;
      if (typeof id !== "number" || !Number.isSafeInteger(id)) return null;
      return {
        type: "audit",
        entry: { id, tag, message: message.replace(HEX_RUN, "[redacted]"), at },
      };
    }
    default:
      return null;
  }
}

/**
 * The counters and router heartbeat of a `/link_status` answer.
 * `kmsNow` is the KMS's clock (its `Date` header) in milliseconds.
 *
 * @example
 * ```ts
 * import { parseLinkStatus } from "./soc_state.ts";
 * const event = parseLinkStatus({ total_keys_issued: 2, router_last_seen: null }, 0);
 * console.log(event?.keysIssued); // 2
 * ```
 */
export function parseLinkStatus(
  body: unknown,
  kmsNow: number,
): SocEvent | null {
  const json = record(body);
  if (!json) return null;
  const lastSeen = text(json.router_last_seen);
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
 * import { INITIAL_SOC_STATE, reduceSoc } from "./soc_state.ts";
 * const state = reduceSoc(INITIAL_SOC_STATE, { type: "link", status: "RED", qber: 0.3, time: "T" });
 * console.log(state.status, state.chatBlocked, state.history.length); // RED true 1
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
      }, event.status);
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
    case "attack_mode":
      return { ...state, attackMode: event.attackMode };
    case "reset":
      return withStatus({ ...state, history: [] }, "GREEN");
    case "audit": {
      if (state.audit.some((line) => line.id === event.entry.id)) return state;
      return {
        ...state,
        audit: [...state.audit, event.entry].slice(-AUDIT_ENTRIES),
      };
    }
  }
}

/**
 * Average QBER of the last {@linkcode ROLLING_WINDOW} runs, as the KMS
 * judges the link; `null` with no runs.
 *
 * @example
 * ```ts
 * import { rollingQber } from "./soc_state.ts";
 * console.log(rollingQber([{ qber: 0.5, time: null }, { qber: 0.1, time: null }])); // 0.3
 * ```
 */
export function rollingQber(history: readonly QberPoint[]): number | null {
  const window = history.slice(-ROLLING_WINDOW);
  if (window.length === 0) return null;
  return window.reduce((sum, point) => sum + point.qber, 0) / window.length;
}

/** What the status banner shows. */
export interface BannerView {
  /** The KMS subscription. */
  kms: KmsConnection;
  /** Link status (the last known one while the KMS is unreachable). */
  status: LinkStatus | null;
  /** Rolling QBER. */
  rollingQber: number | null;
  /** Attack mode. */
  attackMode: boolean;
}

/**
 * The status banner's part of the state.
 *
 * @example
 * ```ts
 * import { bannerView, INITIAL_SOC_STATE } from "./soc_state.ts";
 * console.log(bannerView(INITIAL_SOC_STATE).kms); // connecting
 * ```
 */
export function bannerView(state: SocState): BannerView {
  return {
    kms: state.kms,
    status: state.status,
    rollingQber: rollingQber(state.history),
    attackMode: state.attackMode,
  };
}

/** What the QBER gauge shows. */
export interface GaugeView {
  /** QBER of the latest run, `null` with none. */
  qber: number | null;
  /** Rolling QBER. */
  rollingQber: number | null;
  /** Whether the figures are live. */
  live: boolean;
}

/**
 * The gauge's part of the state.
 *
 * @example
 * ```ts
 * import { gaugeView, INITIAL_SOC_STATE } from "./soc_state.ts";
 * console.log(gaugeView(INITIAL_SOC_STATE).qber); // null
 * ```
 */
export function gaugeView(state: SocState): GaugeView {
  return {
    qber: state.history.at(-1)?.qber ?? null,
    rollingQber: rollingQber(state.history),
    live: state.kms === "live",
  };
}

/** What the counters show. */
export interface CountersView {
  /** Keys issued. */
  keysIssued: number;
  /** Attacks detected. */
  attacksDetected: number;
  /** Active sessions. */
  activeSessions: number;
  /** Whether the figures are live. */
  live: boolean;
}

/**
 * The counters' part of the state.
 *
 * @example
 * ```ts
 * import { countersView, INITIAL_SOC_STATE } from "./soc_state.ts";
 * console.log(countersView(INITIAL_SOC_STATE).keysIssued); // 0
 * ```
 */
export function countersView(state: SocState): CountersView {
  return {
    keysIssued: state.keysIssued,
    attacksDetected: state.attacksDetected,
    activeSessions: state.activeSessions,
    live: state.kms === "live",
  };
}

/** What the router panel shows. */
export interface RouterView {
  /**
   * `alive`: polled within {@linkcode ROUTER_ALIVE_SECONDS}; `silent`: polled
   * before that; `never`: not seen since the KMS started; `unknown`: the KMS
   * is unreachable.
   */
  guard: "alive" | "silent" | "never" | "unknown";
  /** Chat traffic under the guard's rule. */
  chat: "ALLOWED" | "BLOCKED";
  /** Link status the rule follows. */
  status: LinkStatus | null;
  /** ISO time of the last poll. */
  lastSeen: string | null;
  /** Seconds since it. */
  ageSeconds: number | null;
}

/**
 * The router panel's part of the state.
 *
 * @example
 * ```ts
 * import { INITIAL_SOC_STATE, routerView } from "./soc_state.ts";
 * const view = routerView({ ...INITIAL_SOC_STATE, kms: "live", routerLastSeen: "T", routerAgeSeconds: 2 });
 * console.log(view.guard, view.chat); // alive ALLOWED
 * ```
 */
export function routerView(state: SocState): RouterView {
  const { routerLastSeen: lastSeen, routerAgeSeconds: ageSeconds } = state;
  const guard = state.kms !== "live"
    ? "unknown"
    : lastSeen === null || ageSeconds === null
    ? "never"
    : ageSeconds <= ROUTER_ALIVE_SECONDS
    ? "alive"
    : "silent";
  return {
    guard,
    chat: state.chatBlocked ? "BLOCKED" : "ALLOWED",
    status: state.status,
    lastSeen,
    ageSeconds,
  };
}

/** What the history chart shows. */
export interface ChartView {
  /** Runs, oldest first. */
  points: QberPoint[];
}

/**
 * The chart's part of the state.
 *
 * @example
 * ```ts
 * import { chartView, INITIAL_SOC_STATE } from "./soc_state.ts";
 * console.log(chartView(INITIAL_SOC_STATE).points.length); // 0
 * ```
 */
export function chartView(state: SocState): ChartView {
  return { points: state.history };
}

/** What the operator controls need. */
export interface ControlsView {
  /** The buttons work only while the KMS is reachable. */
  kms: KmsConnection;
  /** Link status. */
  status: LinkStatus | null;
  /** Attack mode. */
  attackMode: boolean;
}

/**
 * The controls' part of the state.
 *
 * @example
 * ```ts
 * import { controlsView, INITIAL_SOC_STATE } from "./soc_state.ts";
 * console.log(controlsView(INITIAL_SOC_STATE).attackMode); // false
 * ```
 */
export function controlsView(state: SocState): ControlsView {
  return {
    kms: state.kms,
    status: state.status,
    attackMode: state.attackMode,
  };
}

/** What the audit log panel shows. */
export interface AuditView {
  /** Entries, oldest first. */
  entries: AuditLine[];
}

/**
 * The audit panel's part of the state.
 *
 * @example
 * ```ts
 * import { auditView, INITIAL_SOC_STATE } from "./soc_state.ts";
 * console.log(auditView(INITIAL_SOC_STATE).entries); // []
 * ```
 */
export function auditView(state: SocState): AuditView {
  return { entries: state.audit };
}
