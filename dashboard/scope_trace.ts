/**
 * The channel monitor's traces: the last blocks of the link as an
 * oscilloscope shows two channels, in screen coordinates. Channel 1 is each
 * block's QBER on a linear scale (0 to 30%, the thresholds at 5% and 11%);
 * channel 2 the decoy-state gains Q_μ of the signal, weak decoy and vacuum
 * intensities on a log scale (10⁻⁷ to 10⁻¹), where a photon-number-splitting
 * attack shows as gains that move apart while the QBER stays low. Pure and
 * browser-safe; the figures are the simulation's.
 *
 * @module
 */

import type { LinkHistoryBlock } from "../protocol/soc_api.ts";
import { RED_THRESHOLD, YELLOW_THRESHOLD } from "../protocol/link_policy.ts";

/** The screen: its size in pixels and the time it spans, ending `now`. */
export interface ScopeScreen {
  width: number;
  height: number;
  /** Unix ms at the right edge. */
  now: number;
  /** Milliseconds across the screen. */
  spanMs: number;
}

/** A trace: points left to right. */
export type Trace = [x: number, y: number][];

/** What the monitor draws. */
export interface ScopeTraces {
  /** Channel 1: QBER. */
  qber: Trace;
  /** Channel 2: the gains of signal, weak decoy and vacuum. */
  gains: [Trace, Trace, Trace];
  /** The YELLOW and RED threshold lines' heights. */
  thresholds: [number, number];
  /** Blocks on the screen. */
  blocks: number;
}

/** Channel 1's full scale. */
export const QBER_FULL_SCALE = 0.3;
/** Channel 2's decades, log10 of its bottom and top. */
export const GAIN_DECADES: [number, number] = [-7, -1];

/**
 * The traces of `blocks` (oldest first) on `screen`; blocks outside its span
 * are left out, gains only for blocks that have them.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { scopeTraces } from "./scope_trace.ts";
 *
 * const block = {
 *   at: 100_000, qber: 0.15, rolling_qber: 0.1, status: "YELLOW" as const, epoch: 1, eve: "none" as const,
 *   gains: [1e-2, 1e-4, 1e-6] as [number, number, number], single_photon_lower: 600_000, secret_bits: 1, count: 1,
 * };
 * const traces = scopeTraces([block], { width: 600, height: 300, now: 100_000, spanMs: 60_000 });
 * assertEquals(traces.qber, [[600, 150]]);
 * assertEquals(traces.gains.map((trace) => trace[0][1]), [50, 150, 250]);
 * assertEquals(traces.blocks, 1);
 * ```
 */
export function scopeTraces(
  blocks: readonly LinkHistoryBlock[],
  screen: ScopeScreen,
): ScopeTraces {
  const { width, height, now, spanMs } = screen;
  const from = now - spanMs;
  const x = (at: number) => Math.round(((at - from) / spanMs) * width);
  const qberY = (qber: number) =>
    Math.round(
      height * (1 - Math.min(qber, QBER_FULL_SCALE) / QBER_FULL_SCALE),
    );
  const [bottom, top] = GAIN_DECADES;
  const gainY = (gain: number) => {
    const decade = Math.log10(Math.max(gain, 10 ** bottom));
    return Math.round(
      height * (1 - (Math.min(decade, top) - bottom) / (top - bottom)),
    );
  };
  const shown = blocks.filter((block) => block.at >= from && block.at <= now);
  const gains: [Trace, Trace, Trace] = [[], [], []];
  for (const block of shown) {
    if (!block.gains) continue;
    block.gains.forEach((gain, i) => gains[i].push([x(block.at), gainY(gain)]));
  }
  return {
    qber: shown.map((block) => [x(block.at), qberY(block.qber)]),
    gains,
    thresholds: [qberY(YELLOW_THRESHOLD), qberY(RED_THRESHOLD)],
    blocks: shown.length,
  };
}
