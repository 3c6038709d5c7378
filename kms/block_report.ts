/**
 * A finished block as operators see it (`BlockReport` of protocol's
 * `link_report.ts`), and the link's secret key rate over recent blocks.
 *
 * @module
 */

import type { BlockReport, DecoyReport } from "../protocol/mod.ts";
import type { DecoyBounds } from "../quantum/qkd_link.ts";
import type { BlockArrival } from "./link_runner.ts";

/** Blocks the key rate averages over. */
export const KEY_RATE_BLOCKS = 10;

/**
 * The report of a block: `index`, `time` and the bits it added to the pool
 * (`secretBits`) are the KMS's; the rest is the block's.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { blockReport } from "./block_report.ts";
 *
 * const stats = {
 *   pulses: 3e7, durationSeconds: 0.03, detections: 1e5, qber: 0.26,
 *   counts: [] as never, leakedBits: 0, cascadeMessages: 0, secretBits: 0,
 *   decoy: null,
 * };
 * const block = { ...stats, ok: false, reason: "qber_above_threshold", message: "QBER 26%" } as const;
 * const report = blockReport({ block, eve: { mode: "intercept_resend" }, wallSeconds: 0.03 }, {
 *   index: 1, time: "T", secretBits: 0,
 * });
 * assertEquals([report.outcome, report.eve, report.message], ["qber_above_threshold", "intercept_resend", "QBER 26%"]);
 * ```
 */
export function blockReport(
  arrival: BlockArrival,
  meta: { index: number; time: string; secretBits: number },
): BlockReport {
  const { block, eve } = arrival;
  return {
    index: meta.index,
    time: meta.time,
    outcome: block.ok ? "key" : block.reason,
    ...(block.ok ? {} : { message: block.message }),
    eve: eve.mode,
    qber: block.qber,
    pulses: block.pulses,
    duration_s: block.durationSeconds,
    detections: block.detections,
    leaked_bits: block.leakedBits,
    secret_bits: meta.secretBits,
    decoy: block.decoy && decoyReport(block.decoy),
  };
}

// Bounds that collapse (a PNS attack) can leave the useful range: clamped.
function decoyReport(decoy: DecoyBounds): DecoyReport {
  const clamp = (x: number, max: number) =>
    Number.isFinite(x) ? Math.min(Math.max(x, 0), max) : max;
  return {
    vacuum_detections_lower: clamp(
      decoy.vacuumDetectionsLower,
      Number.MAX_VALUE,
    ),
    single_photon_detections_lower: clamp(
      decoy.singlePhotonDetectionsLower,
      Number.MAX_VALUE,
    ),
    phase_error_upper: clamp(decoy.phaseErrorUpper, 1),
  };
}

/**
 * Secret bits per second over the last {@linkcode KEY_RATE_BLOCKS} blocks,
 * each taking its link time, or its wall-clock time where the simulation
 * ran slower than the link it simulates (so the rate is what the pool
 * really gains).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { KeyRate } from "./block_report.ts";
 *
 * const rate = new KeyRate();
 * rate.add({ secretBits: 300, linkSeconds: 1, wallSeconds: 0.5 });
 * rate.add({ secretBits: 0, linkSeconds: 1, wallSeconds: 2 });
 * assertEquals(rate.bitsPerSecond, 100);
 * ```
 */
export class KeyRate {
  #recent: { bits: number; seconds: number }[] = [];

  /** Adds a block. */
  add(block: { secretBits: number; linkSeconds: number; wallSeconds: number }) {
    this.#recent.push({
      bits: block.secretBits,
      seconds: Math.max(block.linkSeconds, block.wallSeconds),
    });
    if (this.#recent.length > KEY_RATE_BLOCKS) this.#recent.shift();
  }

  /** Forgets every block (reset). */
  clear(): void {
    this.#recent = [];
  }

  /** The rate (0 before any block). */
  get bitsPerSecond(): number {
    const bits = this.#recent.reduce((sum, b) => sum + b.bits, 0);
    const seconds = this.#recent.reduce((sum, b) => sum + b.seconds, 0);
    return seconds > 0 ? bits / seconds : 0;
  }
}
