/**
 * What the SOC view keeps of the KMS's (simulated) decoy-state QKD link: its
 * settings, the latest block, and the recent key rate and pool level as a
 * time series, folded from the `state`, `block` and `pool` events.
 *
 * Pure and browser-safe, like `soc_state.ts`, which holds a
 * {@linkcode LinkState} per KMS and calls these folds from its reducer.
 *
 * @module
 */

import type {
  BlockReport,
  EveMode,
  LinkReport,
  LinkSettingsReport,
  PoolChange,
} from "../protocol/link_report.ts";
import type { HonestBlock } from "./link_expectation.ts";

/** Points of the key-rate and pool chart the state keeps. */
export const LINK_POINTS = 300;

/** One point of the key-rate and pool series. */
export interface LinkPoint {
  /** ISO time of the block or pool change. */
  time: string;
  /** Secret bits per second of link time, as the KMS reported then. */
  keyRateBps: number;
  /** Bits in the pool after it. */
  poolBits: number;
}

/** The link as the SOC view shows it. */
export interface LinkState {
  settings: LinkSettingsReport;
  /** What an honest block shows at these settings (`link_expectation.ts`), if known. */
  expected: HonestBlock | null;
  /** The attack the KMS's operator has the simulated eavesdropper run. */
  eve: EveMode;
  keyRateBps: number;
  poolBits: number;
  poolCapacityBits: number;
  /** Blocks run since the KMS started. */
  blocks: number;
  /** The latest block, or `null` before the first. */
  lastBlock: BlockReport | null;
  /** Recent points, oldest first, at most {@linkcode LINK_POINTS}. */
  series: LinkPoint[];
  /** The latest time keys left the pool, since the dashboard subscribed. */
  lastPoolChange: LinkPoolUpdate | null;
}

/** A finished block, with the pool and rate after it. */
export interface LinkBlockUpdate {
  block: BlockReport;
  keyRateBps: number;
  poolBits: number;
  poolCapacityBits: number;
}

/** Keys taken from the pool, or the pool flushed. */
export interface LinkPoolUpdate {
  change: PoolChange;
  /** Bits that left the pool. */
  bits: number;
  poolBits: number;
  poolCapacityBits: number;
  /** ISO time. */
  time: string;
}

function appended(series: LinkPoint[], point: LinkPoint): LinkPoint[] {
  return [...series, point].slice(-LINK_POINTS);
}

/** Options for {@linkcode linkFromReport}. */
export interface LinkReportOptions {
  /**
   * An honest block at the report's settings, which the dashboard server
   * computes (`link_expectation.ts`) so that browsers need no model.
   */
  expected?: HonestBlock | null;
}

/**
 * The link after a `state` event (a subscription or resubscription). The
 * series is the dashboard's own: it carries on when `report` continues it
 * (same or later block count) and starts over when the KMS's count went
 * back, which is a restarted KMS. The report's latest block becomes a point
 * unless the series already has it.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { linkFromReport } from "./link_state.ts";
 * import { SAMPLE_LINK_REPORT } from "../protocol/_test_link_report.ts";
 *
 * const link = linkFromReport(SAMPLE_LINK_REPORT, null);
 * assertEquals(link.series, [{
 *   time: "2026-12-01T00:00:00.000Z",
 *   keyRateBps: 1_038_000,
 *   poolBits: 2_246_720,
 * }]);
 * // The same report again (a resubscribe with nothing missed): no new point.
 * assertEquals(linkFromReport(SAMPLE_LINK_REPORT, link).series.length, 1);
 * ```
 */
export function linkFromReport(
  report: LinkReport,
  previous: LinkState | null,
  options: LinkReportOptions = {},
): LinkState {
  const continues = previous !== null && report.blocks >= previous.blocks;
  const kept = continues ? previous.series : [];
  const last = report.last_block;
  const series = last && kept.at(-1)?.time !== last.time
    ? appended(kept, {
      time: last.time,
      keyRateBps: report.key_rate_bps,
      poolBits: report.pool_bits,
    })
    : kept;
  return {
    settings: report.settings,
    expected: options.expected ?? null,
    eve: report.eve,
    keyRateBps: report.key_rate_bps,
    poolBits: report.pool_bits,
    poolCapacityBits: report.pool_capacity_bits,
    blocks: report.blocks,
    lastBlock: last,
    series,
    lastPoolChange: continues ? previous.lastPoolChange : null,
  };
}

/**
 * The link after a block: it is the latest, and a point of the series.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { linkFromReport, withBlock } from "./link_state.ts";
 * import { SAMPLE_BLOCK, SAMPLE_LINK_REPORT } from "../protocol/_test_link_report.ts";
 *
 * const block = { ...SAMPLE_BLOCK, index: 8, time: "2026-12-01T00:00:01.000Z" };
 * const link = withBlock(linkFromReport(SAMPLE_LINK_REPORT, null), {
 *   block,
 *   keyRateBps: 1_040_000,
 *   poolBits: 2_567_680,
 *   poolCapacityBits: 16_777_216,
 * });
 * assertEquals([link.blocks, link.series.length, link.poolBits], [8, 2, 2_567_680]);
 * ```
 */
export function withBlock(link: LinkState, update: LinkBlockUpdate): LinkState {
  const { block, keyRateBps, poolBits, poolCapacityBits } = update;
  return {
    ...link,
    eve: block.eve,
    keyRateBps,
    poolBits,
    poolCapacityBits,
    blocks: Math.max(link.blocks, block.index),
    lastBlock: block,
    series: appended(link.series, { time: block.time, keyRateBps, poolBits }),
  };
}

/**
 * The link after keys left the pool: a point at the new level, at the
 * current key rate.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { linkFromReport, withPool } from "./link_state.ts";
 * import { SAMPLE_LINK_REPORT } from "../protocol/_test_link_report.ts";
 *
 * const flushed = withPool(linkFromReport(SAMPLE_LINK_REPORT, null), {
 *   change: "flushed",
 *   bits: 2_246_720,
 *   poolBits: 0,
 *   poolCapacityBits: 16_777_216,
 *   time: "2026-12-01T00:00:02.000Z",
 * });
 * assertEquals(flushed.series.at(-1), {
 *   time: "2026-12-01T00:00:02.000Z",
 *   keyRateBps: 1_038_000,
 *   poolBits: 0,
 * });
 * ```
 */
export function withPool(link: LinkState, update: LinkPoolUpdate): LinkState {
  const { change, bits, poolBits, poolCapacityBits, time } = update;
  return {
    ...link,
    poolBits,
    poolCapacityBits,
    series: appended(link.series, {
      time,
      keyRateBps: link.keyRateBps,
      poolBits,
    }),
    lastPoolChange: { change, bits, poolBits, poolCapacityBits, time },
  };
}
