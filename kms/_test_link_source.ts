/**
 * Test helper: a link source whose blocks the test decides, for the
 * handler tests (the service runs `link_runner.ts`'s worker). Its blocks
 * are stand-ins with the figures of the demo link at 10^5 detections (QBER
 * 2%; 26% under intercept-resend at rate 1; PNS: 2% and no key), and their
 * secrets are random bytes.
 *
 * It runs a block only when {@linkcode ScriptedLinkSource.emit} is called,
 * except that switching an eavesdropper on runs blocks by itself (one per
 * timer tick, at most five, until `stopWhen` holds), as the real link's next
 * blocks would: `/force_attack` waits for them.
 *
 * @module
 */

import { ROLLING_WINDOW } from "../protocol/mod.ts";
import type { Eavesdropper } from "../quantum/block_detections.ts";
import type { BasisCounts } from "../quantum/finite_key.ts";
import type { LinkBlock } from "../quantum/qkd_link.ts";
import type { LinkHandlers, LinkSource } from "./link_runner.ts";

/** What {@linkcode ScriptedLinkSource.emit} may change about a block. */
export interface ScriptedBlock {
  /** Secret bits of a key block. Default 8192. */
  secretBits?: number;
  /** The block's QBER. Default: what its eavesdropper causes. */
  qber?: number;
}

const COUNTS: BasisCounts = {
  intensity: 0.5,
  probability: 0.2,
  nX: 20_000,
  mX: 400,
  nZ: 8_500,
  mZ: 170,
};

/** A stand-in block under `eve`, post-processed or not. */
export function scriptedBlock(
  eve: Eavesdropper,
  options: ScriptedBlock & { postProcess: boolean },
): LinkBlock {
  const attacked = eve.mode === "intercept_resend";
  const qber = options.qber ??
    (attacked ? 0.02 + 0.24 * (eve.rate ?? 1) : 0.02);
  const stats = {
    pulses: 31_000_000,
    durationSeconds: 0.031,
    detections: 100_000,
    qber,
    counts: [COUNTS, COUNTS, COUNTS] as const,
    leakedBits: 0,
    cascadeMessages: 0,
    secretBits: 0,
    decoy: {
      vacuumDetectionsLower: 0,
      singlePhotonDetectionsLower: eve.mode === "pns" ? 25_000 : 57_000,
      phaseErrorUpper: eve.mode === "pns" ? 0.5 : 0.12,
    },
  };
  if (qber > 0.11) {
    return {
      ...stats,
      ok: false,
      reason: "qber_above_threshold",
      message: "QBER above 11%",
    };
  }
  if (!options.postProcess) {
    return { ...stats, ok: false, reason: "discarded", message: "discarded" };
  }
  if (eve.mode === "pns") {
    return {
      ...stats,
      ok: false,
      reason: "insufficient_secret_bits",
      message: "too few single-photon detections",
    };
  }
  const secretBits = options.secretBits ?? 8192;
  return {
    ...stats,
    leakedBits: 12_000,
    secretBits,
    ok: true,
    secret: crypto.getRandomValues(new Uint8Array(secretBits / 8)),
  };
}

/** A {@linkcode LinkSource} the test drives. */
export class ScriptedLinkSource implements LinkSource {
  /** The eavesdropper the link asked for. */
  eve: Eavesdropper = { mode: "none" };
  /** Whether the link asked for post-processing. */
  postProcess = true;
  /** When the blocks an eavesdropper's switch runs may stop early. */
  stopWhen: () => boolean = () => false;
  #handlers: LinkHandlers | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  start(
    handlers: LinkHandlers,
    initial: { eve: Eavesdropper; postProcess: boolean },
  ): void {
    this.#handlers = handlers;
    this.eve = initial.eve;
    this.postProcess = initial.postProcess;
  }

  setEve(eve: Eavesdropper): void {
    this.eve = eve;
    clearTimeout(this.#timer);
    if (eve.mode !== "none") this.#runOn(ROLLING_WINDOW);
  }

  setPostProcess(on: boolean): void {
    this.postProcess = on;
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  /** Runs `count` blocks now, under the current switches; resolves once recorded. */
  async emit(count = 1, block: ScriptedBlock = {}): Promise<void> {
    for (let i = 0; i < count && !this.#stopped; i++) {
      await this.#handlers?.onBlock({
        block: scriptedBlock(this.eve, {
          ...block,
          postProcess: this.postProcess,
        }),
        eve: { ...this.eve },
        wallSeconds: 0.031,
      });
    }
  }

  /** Reports a failure of the link, as the runner does on a worker error. */
  fail(message: string): void {
    this.#handlers?.onFailure(message, 1000);
  }

  #runOn(left: number): void {
    if (left === 0 || this.#stopped || this.stopWhen()) return;
    this.#timer = setTimeout(async () => {
      await this.emit();
      this.#runOn(left - 1);
    }, 0);
  }
}
