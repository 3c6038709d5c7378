/**
 * The KMS's side of the simulated BB84 link: runs the engine, keeps the QBER
 * history and the link status, counts attacks, and reports every change to
 * the audit log and the live event feed.
 *
 * @module
 */

import { type BB84Result, simulateBB84 } from "../quantum/mod.ts";
import {
  HISTORY_LENGTH,
  type LinkStatus,
  linkStatusFor,
  RED_THRESHOLD,
  ROLLING_WINDOW,
  rollingQber,
} from "../protocol/mod.ts";
import type { Auditor } from "./audit.ts";
import type { EventHub } from "./events.ts";
import type { KmsStore } from "./store.ts";

/** Key bits from one run: enough for the wanted key, or a refusal. */
export type LinkKey =
  | { ok: true; secret: Uint8Array; qber: number; status: LinkStatus }
  | LinkRefusal;

/**
 * No key from the link: it is RED, or the run aborted. `message` is the
 * sentence the caller is shown.
 */
export interface LinkRefusal {
  ok: false;
  /** Why: the link is (now) RED, or this run could not yield a key. */
  reason: "link_red" | "run_aborted";
  /** What the caller is told. */
  message: string;
  /** QBER of the run. */
  qber: number;
  /** Link status after the run. */
  status: LinkStatus;
}

/** Options for {@linkcode QuantumLink}. */
export interface QuantumLinkOptions {
  /** Noise of the simulated channel (0.02 shows QBER about 2%). */
  noiseLevel: number;
  /** Where audit entries go. */
  audit: Auditor;
}

/** Options of one BB84 run. */
export interface RunOptions {
  /** Put Eve on the channel for this run alone (a request's `force_attack`). */
  forceEve?: boolean;
  /**
   * The device (or SAE) whose request made the run, which its
   * `ATTACK_DETECTED` rows are rate-limited by; runs no device asked for
   * (the operator's `/force_attack`) share the source `operator`.
   */
  device?: string;
}

/** Who asked for a link action, for its audit row. */
export interface OperatorAction {
  /** `actor=NAME source=IP:PORT`, put before the row's own fields. */
  by?: string;
}

function actionMessage(options: OperatorAction, fields: string): string {
  return options.by === undefined ? fields : `${options.by} ${fields}`;
}

/** Counter names shared with the store. */
export const KEYS_ISSUED = "total_keys_issued";
/** Counter of runs whose QBER showed an eavesdropper. */
export const ATTACKS_DETECTED = "attacks_detected";
const ATTACK_MODE = "attack_mode";

/**
 * The link as the KMS sees it.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { Auditor } from "./audit.ts";
 * import { EventHub } from "./events.ts";
 * import { QuantumLink } from "./quantum_link.ts";
 * import { KmsStore } from "./store.ts";
 *
 * const store = new KmsStore(":memory:");
 * const hub = new EventHub();
 * const audit = new Auditor(store, hub, { log: () => {} });
 * const link = new QuantumLink(store, hub, { noiseLevel: 0.02, audit });
 * const key = link.freshKey(256);
 * assertEquals(key.ok && key.secret.length, 32);
 * link.forceAttack();
 * const refused = link.freshKey(256);
 * assertEquals([refused.ok, link.status], [false, "RED"]);
 * store.close();
 * ```
 */
export class QuantumLink {
  #store: KmsStore;
  #hub: EventHub;
  #noiseLevel: number;
  #audit: Auditor;
  #history: number[];
  #attackMode: boolean;
  #status: LinkStatus;

  /** Restores history, attack mode and status from the store. */
  constructor(store: KmsStore, hub: EventHub, options: QuantumLinkOptions) {
    this.#store = store;
    this.#hub = hub;
    this.#noiseLevel = options.noiseLevel;
    this.#audit = options.audit;
    this.#history = store.recentQber(HISTORY_LENGTH);
    this.#attackMode = store.setting(ATTACK_MODE) === "on";
    this.#status = linkStatusFor(this.#history);
  }

  /** GREEN, YELLOW or RED. */
  get status(): LinkStatus {
    return this.#status;
  }

  /** Whether every run has Eve on the channel. */
  get attackMode(): boolean {
    return this.#attackMode;
  }

  /** Latest QBER (0 before any run). */
  get qber(): number {
    return this.#history.at(-1) ?? 0;
  }

  /** The last {@linkcode HISTORY_LENGTH} QBER values, oldest first. */
  get history(): number[] {
    return [...this.#history];
  }

  /**
   * Runs BB84 once and records the outcome. Eve is on the channel in attack
   * mode, or for this run alone with `forceEve` (a request's
   * `force_attack`).
   */
  run(keyLength = 256, options: RunOptions = {}): BB84Result {
    const eve = this.#attackMode || options.forceEve === true;
    const result = simulateBB84({
      keyLength,
      noiseLevel: this.#noiseLevel,
      evePresent: eve,
    });
    this.#record(result, { eve, device: options.device });
    return result;
  }

  /**
   * Runs BB84 for `keyLength` secret bits; refuses (no key) when the run
   * aborts or the link is RED afterwards.
   */
  freshKey(keyLength: number, options: RunOptions = {}): LinkKey {
    const result = this.run(keyLength, options);
    const { qber } = result;
    if (this.#status === "RED") {
      return {
        ok: false,
        reason: "link_red",
        qber,
        status: "RED",
        message:
          `QKD link compromised: rolling QBER ${
            pct(rollingQber(this.#history))
          } ` +
          `is at or above 11%. No keys until an operator resets the link.`,
      };
    }
    if (!result.ok) {
      return {
        ok: false,
        reason: "run_aborted",
        qber,
        status: this.#status,
        message: `QKD run aborted: ${result.message}`,
      };
    }
    return { ok: true, secret: result.key, qber, status: this.#status };
  }

  /**
   * Turns attack mode on or off without a run (`/activate_eve`,
   * `/deactivate_eve`). An operator's switch (`options.by`, e.g.
   * `actor=Operator source=10.0.0.7:51234`, leading the row) is audited even
   * when the mode was already so; otherwise only a change is.
   */
  setAttackMode(on: boolean, options: OperatorAction = {}): void {
    if (on === this.#attackMode && options.by === undefined) return;
    this.#attackMode = on;
    this.#store.setSetting(ATTACK_MODE, on ? "on" : "off");
    this.#audit.record(
      on ? "EVE_ACTIVATED" : "EVE_DEACTIVATED",
      actionMessage(options, "mode=intercept-resend rate=1.0"),
    );
    this.#hub.publish({ event: "attack_mode", data: { attack_mode: on } });
  }

  /**
   * Turns attack mode on and runs Eve-attacked BB84 until the rolling average
   * turns the link RED (at most one window of runs).
   */
  forceAttack(
    options: OperatorAction = {},
  ): { status: LinkStatus; qber: number } {
    this.setAttackMode(true, options);
    for (let i = 0; i < ROLLING_WINDOW && this.#status !== "RED"; i++) {
      this.run();
    }
    return { status: this.#status, qber: this.qber };
  }

  /** Attack off, history cleared, link GREEN. */
  reset(options: OperatorAction = {}): void {
    if (this.#attackMode) this.setAttackMode(false, options);
    this.#history = [];
    this.#store.clearQber();
    this.#status = "GREEN";
    this.#audit.record(
      "RESET",
      actionMessage(options, "attack=off history=cleared status=GREEN"),
    );
    this.#hub.publish({
      event: "reset",
      data: { status: "GREEN", time: new Date().toISOString() },
    });
  }

  /** Counts keys handed out, for `total_keys_issued`. */
  countIssued(count: number): void {
    this.#store.addCounter(KEYS_ISSUED, count);
  }

  #record(
    result: BB84Result,
    run: { eve: boolean; device?: string },
  ): void {
    const { eve } = run;
    const { qber } = result;
    this.#history.push(qber);
    if (this.#history.length > HISTORY_LENGTH) this.#history.shift();
    this.#store.addQber(qber, eve);
    const time = new Date().toISOString();
    if (result.attackDetected) {
      this.#store.addCounter(ATTACKS_DETECTED, 1);
      // In attack mode every key request detects Eve: rate-limited per
      // device, so a busy device cannot push RESET out of the recent rows.
      this.#audit.limited(
        "ATTACK_DETECTED",
        `qber=${qber.toFixed(3)} threshold=${RED_THRESHOLD} eve=${eve}`,
        { source: run.device ? `device=${run.device}` : "operator" },
      );
      this.#hub.publish({ event: "attack", data: { qber, time } });
    }
    const before = this.#status;
    this.#status = linkStatusFor(this.#history);
    if (this.#status !== before) {
      this.#audit.record(
        `LINK_${this.#status}`,
        `from=${before} rolling_qber=${rollingQber(this.#history).toFixed(3)}`,
      );
    }
    this.#hub.publish({
      event: "link",
      data: {
        status: this.#status,
        qber,
        rolling_qber: rollingQber(this.#history),
        eve,
        qubits: result.qubitsUsed,
        time,
      },
    });
  }
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}
