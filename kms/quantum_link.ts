/**
 * The KMS's side of its continuously running (simulated) decoy-state QKD
 * link. Blocks arrive from a {@linkcode LinkSource} (the worker of
 * `link_runner.ts`); each one's QBER joins the history the link status
 * follows (`protocol/link_policy.ts`: RED at a rolling 11%), its secret
 * bits go to the key pool, every change to the audit log and the event
 * feed. Key requests take bits from the pool synchronously, never waiting.
 *
 * Pool policy: when the link turns RED the pool is flushed
 * (`POOL_FLUSHED bits=N reason=link_red`) and no bits are added while it is
 * RED; blocks still run, measured only (QBER and decoy estimates), so an
 * attack stays visible. A reset clears the history and switches Eve off (the
 * evidence stays: `incident_evidence.ts`); the pool refills from the next
 * blocks. Keys handed out are not recalled; room keys still held are
 * destroyed at RED (`onRed`). While the link's worker is down no key leaves.
 *
 * @module
 */

import type { Eavesdropper } from "../quantum/block_detections.ts";
import {
  type BlockEventData,
  type BlockReport,
  HISTORY_LENGTH,
  type LinkReport,
  type LinkStatus,
  linkStatusFor,
  RED_THRESHOLD,
  rollingQber,
} from "../protocol/mod.ts";
import type { Auditor } from "./audit.ts";
import { blockReport, KeyRate } from "./block_report.ts";
import type { LinkEvidence } from "./incident_evidence.ts";
import type { EventHub } from "./events.ts";
import type { KeyPool } from "./key_pool.ts";
import { type LinkConfig, linkSettingsReport } from "./link_config.ts";
import type { BlockArrival, LinkSource } from "./link_runner.ts";
import type { KmsStore } from "./store.ts";
import { BlockWaiters } from "./block_waiters.ts";
import {
  type LinkKey,
  type LinkRefusal,
  linkRefusal,
  type LinkState,
  poolEmpty,
} from "./link_refusal.ts";
import { eveFields, NO_EVE, readEve, sameEve, saveEve } from "./eve.ts";

/** Options for {@linkcode QuantumLink}. */
export interface QuantumLinkOptions {
  /** Where audit entries go. */
  audit: Auditor;
  /** Where the blocks' secret bits go. */
  pool: KeyPool;
  /** The link's settings, as `/link_status` shows them. */
  config: LinkConfig;
  /** Where every block and reset is recorded (history, incidents). */
  evidence: LinkEvidence;
  /** Called each time the link turns RED, after the pool's flush. */
  onRed?: () => void;
}

/** Who asked for a link action, for its audit row. */
export interface OperatorAction {
  /** `actor=NAME source=IP:PORT`, put before the row's own fields. */
  by?: string;
  /** The operator's name alone (a reset closes the incident in it). */
  actor?: string;
}

/** How long `/force_attack` waits for the blocks to turn the link RED. */
export const FORCE_ATTACK_TIMEOUT_MS = 5000;

/** Counter names shared with the store. */
export const KEYS_ISSUED = "total_keys_issued";

function actionMessage(options: OperatorAction, fields: string): string {
  return options.by === undefined ? fields : `${options.by} ${fields}`;
}

/**
 * The link as the KMS sees it.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { generateIdentity, importAesKey } from "../protocol/mod.ts";
 * import { parseKmsConfig } from "./config.ts";
 * import { closeKms, createKms } from "./context.ts";
 * import { KmsStore } from "./store.ts";
 *
 * const kms = createKms(parseKmsConfig([], () => undefined), {
 *   store: new KmsStore(":memory:"),
 *   masterKey: await importAesKey(new Uint8Array(32)),
 *   ticketKey: await generateIdentity(),
 *   log: () => {},
 * });
 * // openKms attaches the worker's runner: kms.link.attach(new LinkRunner(...)).
 * await kms.pool.add(new Uint8Array(64)); // bits the link's blocks distilled
 * const key = kms.link.takeBits(256);
 * assertEquals(key.ok && key.secret.length, 32);
 * const short = kms.link.takeBits(512); // 256 bits left: refused at once
 * assertEquals([short.ok, kms.link.report().pool_bits], [false, 256]);
 * closeKms(kms);
 * ```
 */
export class QuantumLink {
  #store: KmsStore;
  #hub: EventHub;
  #audit: Auditor;
  #pool: KeyPool;
  #config: LinkConfig;
  #evidence: LinkEvidence;
  #source: LinkSource | undefined;
  #history: number[];
  #eve: Eavesdropper;
  #status: LinkStatus;
  #blocks = 0;
  #lastBlock: BlockReport | null = null;
  #rate = new KeyRate();
  #down = false;
  #waiters = new BlockWaiters();
  #onRed: (() => void) | undefined;

  /** Restores history, the eavesdropper and the status from the store. */
  constructor(store: KmsStore, hub: EventHub, options: QuantumLinkOptions) {
    this.#store = store;
    this.#hub = hub;
    this.#audit = options.audit;
    this.#pool = options.pool;
    this.#config = options.config;
    this.#evidence = options.evidence;
    this.#onRed = options.onRed;
    this.#history = store.recentQber(HISTORY_LENGTH);
    this.#eve = readEve(store);
    this.#status = linkStatusFor(this.#history);
    this.#evidence.restored(this.#status, this.qber);
  }

  /** Starts `source` with the link's switches; its blocks feed the link. */
  attach(source: LinkSource): void {
    this.#source = source;
    source.start({
      onBlock: (arrival) =>
        this.addBlock(arrival).catch((error) => {
          console.error(
            "[KMS] a link block could not be recorded:",
            error instanceof Error ? error.name : typeof error,
          );
        }),
      onFailure: (message, retryMs) => this.#failed(message, retryMs),
    }, { eve: this.#eve, postProcess: this.#postProcess() });
  }

  /** Stops the source (shutdown) and wakes anyone waiting for blocks. */
  stop(): void {
    this.#source?.stop();
    this.#source = undefined;
    this.#waiters.release();
  }

  /** GREEN, YELLOW or RED. */
  get status(): LinkStatus {
    return this.#status;
  }

  /** Whether an eavesdropper is on. */
  get attackMode(): boolean {
    return this.#eve.mode !== "none";
  }

  /** Latest block's QBER (0 before any). */
  get qber(): number {
    return this.#history.at(-1) ?? 0;
  }

  /** The last {@linkcode HISTORY_LENGTH} blocks' QBER, oldest first. */
  get history(): number[] {
    return [...this.#history];
  }

  /** Whether the link's worker failed and has not delivered a block since. */
  get down(): boolean {
    return this.#down;
  }

  /** `/link_status`'s `link`. */
  report(): LinkReport {
    return {
      settings: linkSettingsReport(this.#config),
      eve: this.#eve.mode,
      pool_bits: this.#pool.bits,
      pool_capacity_bits: this.#pool.capacityBits,
      key_rate_bps: this.#rate.bitsPerSecond,
      blocks: this.#blocks,
      last_block: this.#lastBlock,
    };
  }

  /** Records a finished block; its secret (if any) goes to the pool. */
  async addBlock(arrival: BlockArrival): Promise<void> {
    const { block } = arrival;
    // A block run under the previous Eve (a switch or reset) is stale.
    if (!sameEve(arrival.eve, this.#eve)) {
      if (block.ok) block.secret.fill(0);
      return;
    }
    if (this.#down) {
      this.#down = false;
      this.#audit.record("LINK_WORKER_RESTARTED", "blocks=running");
    }
    const index = ++this.#blocks;
    const time = new Date().toISOString();
    const before = this.#status;
    this.#recordQber(block.qber, arrival.eve);
    let secretBits = 0;
    if (block.ok) {
      if (this.#status !== "RED") {
        secretBits = await this.#pool.add(block.secret);
      }
      block.secret.fill(0);
    }
    // Blocks skipped for a full pool say nothing about the rate; those
    // lost to an attack count as none.
    if (block.ok || block.reason !== "discarded" || this.#status === "RED") {
      this.#rate.add({
        secretBits: block.secretBits,
        linkSeconds: block.durationSeconds,
        wallSeconds: arrival.wallSeconds,
      });
    }
    this.#lastBlock = blockReport(arrival, { index, time, secretBits });
    const link = { ...this.#state(), before, stats: block };
    this.#evidence.block(this.#lastBlock, link);
    const data: BlockEventData = {
      ...this.#lastBlock,
      pool_bits: this.#pool.bits,
      pool_capacity_bits: this.#pool.capacityBits,
      key_rate_bps: this.#rate.bitsPerSecond,
    };
    this.#hub.publish({ event: "block", data });
    this.#hub.publish({
      event: "link",
      data: {
        status: this.#status,
        qber: block.qber,
        rolling_qber: rollingQber(this.#history),
        eve: arrival.eve.mode !== "none",
        qubits: block.pulses,
        time,
      },
    });
    this.#source?.setPostProcess(this.#postProcess());
    this.#waiters.wake();
  }

  /**
   * The refusal every key request gets now whatever the pool holds (RED, or
   * the worker down), if any.
   */
  refusal(): LinkRefusal | undefined {
    return linkRefusal(this.#state());
  }

  /**
   * Takes `bits` from the pool, or refuses at once: RED, the worker down,
   * or fewer bits pooled (the refusal names the level and the key rate).
   */
  takeBits(bits: number): LinkKey {
    const refusal = this.refusal();
    if (refusal) return refusal;
    const taken = this.#pool.take(bits);
    if (!taken.ok) {
      return poolEmpty({
        bits,
        poolBits: taken.poolBits,
        keyRateBps: this.#rate.bitsPerSecond,
      }, this.#state());
    }
    return {
      ok: true,
      secret: taken.secret,
      qber: this.qber,
      status: this.#status,
    };
  }

  /**
   * Puts `eve` on the fibre from the next block on (`/activate_eve`,
   * `/deactivate_eve`). An operator's switch (`options.by`, e.g.
   * `actor=Operator source=10.0.0.7:51234`, leading the row) is audited even
   * when nothing changes; otherwise only a change is.
   */
  setEve(eve: Eavesdropper, options: OperatorAction = {}): void {
    const before = this.#eve;
    if (sameEve(eve, before) && options.by === undefined) return;
    this.#eve = { ...eve };
    saveEve(this.#store, this.#eve);
    const on = eve.mode !== "none";
    this.#audit.record(
      on ? "EVE_ACTIVATED" : "EVE_DEACTIVATED",
      actionMessage(options, eveFields(on ? eve : before)),
    );
    this.#hub.publish({ event: "attack_mode", data: { attack_mode: on } });
    this.#source?.setEve(this.#eve);
  }

  /** Intercept-resend at rate 1 on, or Eve off. */
  setAttackMode(on: boolean, options: OperatorAction = {}): void {
    this.setEve(on ? { mode: "intercept_resend", rate: 1 } : NO_EVE, options);
  }

  /**
   * Switches intercept-resend Eve on and waits (at most
   * {@linkcode FORCE_ATTACK_TIMEOUT_MS}) until the next blocks turn the
   * link RED.
   */
  async forceAttack(
    options: OperatorAction = {},
  ): Promise<{ status: LinkStatus; qber: number }> {
    this.setAttackMode(true, options);
    await this.#waiters.until(
      () => this.#status === "RED",
      FORCE_ATTACK_TIMEOUT_MS,
    );
    return { status: this.#status, qber: this.qber };
  }

  /** Eve off, history cleared, link GREEN; the pool refills from new blocks. */
  reset(options: OperatorAction = {}): void {
    if (this.attackMode) this.setAttackMode(false, options);
    this.#evidence.reset(options.actor ?? "anonymous");
    this.#history = [];
    this.#store.clearQber();
    this.#rate.clear();
    this.#status = "GREEN";
    this.#audit.record(
      "RESET",
      actionMessage(options, "attack=off history=cleared status=GREEN"),
    );
    this.#hub.publish({
      event: "reset",
      data: { status: "GREEN", time: new Date().toISOString() },
    });
    this.#source?.setPostProcess(this.#postProcess());
  }

  /** Counts keys handed out, for `total_keys_issued`. */
  countIssued(count: number): void {
    this.#store.addCounter(KEYS_ISSUED, count);
  }

  #postProcess(): boolean {
    return this.#status !== "RED" && !this.#pool.full;
  }

  #state(): LinkState {
    return { status: this.#status, history: this.#history, down: this.#down };
  }

  #failed(message: string, retryMs: number): void {
    this.#down = true;
    console.error(`[KMS] the link's worker failed: ${message}`);
    this.#audit.record(
      "LINK_WORKER_FAILED",
      `error=${JSON.stringify(message)} restart_in=${retryMs}ms keys=refused`,
    );
  }

  #recordQber(qber: number, eve: Eavesdropper): void {
    this.#history.push(qber);
    if (this.#history.length > HISTORY_LENGTH) this.#history.shift();
    this.#store.addQber(qber, eve.mode !== "none");
    if (qber >= RED_THRESHOLD) {
      // Under attack every block detects Eve, a few a second: rate-limited,
      // so they cannot push RESET out of the recent rows.
      this.#audit.limited(
        "ATTACK_DETECTED",
        `qber=${qber.toFixed(3)} threshold=${RED_THRESHOLD} eve=${eve.mode}`,
        { source: "link" },
      );
      this.#hub.publish({
        event: "attack",
        data: { qber, time: new Date().toISOString() },
      });
    }
    const before = this.#status;
    this.#status = linkStatusFor(this.#history);
    if (this.#status === before) return;
    this.#audit.record(
      `LINK_${this.#status}`,
      `from=${before} rolling_qber=${rollingQber(this.#history).toFixed(3)}`,
    );
    if (this.#status === "RED") {
      const bits = this.#pool.flush();
      this.#audit.record("POOL_FLUSHED", `bits=${bits} reason=link_red`);
      this.#onRed?.();
    }
  }
}
