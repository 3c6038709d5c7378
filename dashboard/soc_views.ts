/**
 * What each island shows of the {@linkcode SocState}, computed on the server
 * (its first render) and in the browser (live). Islands that show one field
 * as it is (the history, the audit list) read it from the state directly.
 *
 * @module
 */

import { rollingQber as policyRollingQber } from "../protocol/link_policy.ts";
import type { LinkStatus } from "../protocol/types.ts";
import type { KmsConnection, QberPoint, SocState } from "./soc_state.ts";
import type { Incident } from "../protocol/incident.ts";
import { zuluTime } from "./format.ts";

/**
 * A router guard that polled within this many seconds is alive: about three
 * times its default `POLL_INTERVAL` of 3 s.
 */
export const ROUTER_ALIVE_SECONDS = 10;

/**
 * The rolling QBER the KMS judges the link by (`protocol/link_policy.ts`);
 * `null` with no runs, where the policy says 0.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { rollingQber } from "./soc_views.ts";
 *
 * assertEquals(rollingQber([{ qber: 0.5, time: null }, { qber: 0.1, time: null }]), 0.3);
 * assertEquals(rollingQber([]), null);
 * ```
 */
export function rollingQber(history: readonly QberPoint[]): number | null {
  if (history.length === 0) return null;
  return policyRollingQber(history.map((point) => point.qber));
}

/** What the status banner shows. */
export interface BannerView {
  kms: KmsConnection;
  /** Link status (the last known one while the KMS is unreachable). */
  status: LinkStatus | null;
  rollingQber: number | null;
  attackMode: boolean;
  /** What the router guard does, in the words the router panel uses too. */
  guard: string;
}

/**
 * The status banner's part of the state.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { INITIAL_SOC_STATE } from "./soc_state.ts";
 * import { bannerView } from "./soc_views.ts";
 *
 * assertEquals(bannerView(INITIAL_SOC_STATE), {
 *   kms: "connecting",
 *   status: null,
 *   rollingQber: null,
 *   attackMode: false,
 *   guard: "The KMS is unreachable, so the router guard's state is unknown; a guard in FAIL_MODE=closed blocks chat after 3 failed polls.",
 * });
 * ```
 */
export function bannerView(state: SocState): BannerView {
  return {
    kms: state.kms,
    status: state.status,
    rollingQber: rollingQber(state.history),
    attackMode: state.attackMode,
    guard: guardSentence(routerView(state)),
  };
}

/** What the QBER gauge shows. */
export interface GaugeView {
  /** QBER of the latest block, `null` with none. */
  qber: number | null;
  rollingQber: number | null;
  live: boolean;
}

/**
 * The gauge's part of the state: the latest block and the rolling average.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { INITIAL_SOC_STATE } from "./soc_state.ts";
 * import { gaugeView } from "./soc_views.ts";
 *
 * const history = [0.02, 0.04, 0.25].map((qber) => ({ qber, time: null }));
 * const view = gaugeView({ ...INITIAL_SOC_STATE, kms: "live", history });
 * assertEquals([view.qber, view.rollingQber, view.live], [0.25, 0.10333333333333333, true]);
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
  keysIssued: number;
  attacksDetected: number;
  activeSessions: number;
  live: boolean;
}

/**
 * The counters' part of the state; they go stale while the KMS is away.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { INITIAL_SOC_STATE } from "./soc_state.ts";
 * import { countersView } from "./soc_views.ts";
 *
 * const state = { ...INITIAL_SOC_STATE, kms: "unreachable" as const, keysIssued: 4 };
 * assertEquals(countersView(state), {
 *   keysIssued: 4,
 *   attacksDetected: 0,
 *   activeSessions: 0,
 *   live: false,
 * });
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
  ageSeconds: number | null;
}

/**
 * The router panel's part of the state.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { INITIAL_SOC_STATE } from "./soc_state.ts";
 * import { routerView } from "./soc_views.ts";
 *
 * const view = routerView({
 *   ...INITIAL_SOC_STATE,
 *   kms: "live",
 *   routerLastSeen: "2026-02-23T05:00:00Z",
 *   routerAgeSeconds: 2,
 * });
 * assertEquals([view.guard, view.chat], ["alive", "ALLOWED"]);
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

/**
 * What the router guard does now, in one sentence: the one source of both
 * the status banner's words and the router panel's, so they never disagree
 * (the banner once said "the router guard blocks chat" beside a panel that
 * said the guard was never seen).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { guardSentence } from "./soc_views.ts";
 *
 * const alive = { guard: "alive", chat: "BLOCKED", status: "RED", lastSeen: "2026-02-23T05:00:00Z", ageSeconds: 2 } as const;
 * assertEquals(guardSentence(alive), "The router guard blocks chat: it last polled the KMS 2 s ago (05:00:00Z).");
 * assertEquals(
 *   guardSentence({ ...alive, guard: "never", lastSeen: null, ageSeconds: null }),
 *   "The router guard has not polled this KMS since the KMS started: nothing on the network blocks chat.",
 * );
 * ```
 */
export function guardSentence(view: RouterView): string {
  const polled = `it last polled the KMS ${view.ageSeconds} s ago (${
    zuluTime(view.lastSeen)
  })`;
  switch (view.guard) {
    case "alive":
      return `The router guard ${
        view.chat === "BLOCKED" ? "blocks" : "allows"
      } chat: ${polled}.`;
    case "silent":
      return `The router guard is silent: ${polled}, over ${ROUTER_ALIVE_SECONDS} s; a stopped guard removes its rules, so nothing is enforced.`;
    case "never":
      return "The router guard has not polled this KMS since the KMS started: nothing on the network blocks chat.";
    case "unknown":
      return "The KMS is unreachable, so the router guard's state is unknown; a guard in FAIL_MODE=closed blocks chat after 3 failed polls.";
  }
}

/** What alerting follows: the status and the open incident. */
export interface AlertView {
  status: LinkStatus | null;
  open: Incident | null;
}

/**
 * The alert's part of the state.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { INITIAL_SOC_STATE } from "./soc_state.ts";
 * import { alertView } from "./soc_views.ts";
 *
 * assertEquals(alertView({ ...INITIAL_SOC_STATE, status: "RED" }), { status: "RED", open: null });
 * ```
 */
export function alertView(state: SocState): AlertView {
  return { status: state.status, open: state.incidents.open };
}
