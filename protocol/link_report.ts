/**
 * What the KMS tells operators about its continuously running (simulated)
 * decoy-state QKD link: its settings, the outcome of each post-processing
 * block and the key pool's level. Typed once for the KMS that reports it
 * (`GET /link_status`'s `link`, the `block` and `pool` events) and the
 * dashboard and tools that read it. Figures and counts only: never key
 * material.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { isBlockReport } from "./link_report.ts";
 *
 * assertEquals(isBlockReport({ outcome: "key" }), false);
 * ```
 *
 * @module
 */

import {
  isCount,
  isNonNegative,
  isRatio,
  isRecord,
  type Json,
} from "./json_checks.ts";

/** How a block ended: with secret bits for the pool, or why not. */
export type BlockOutcome =
  /** Secret bits went to the pool. */
  | "key"
  /** The block's QBER was above the 11% threshold: possible eavesdropper. */
  | "qber_above_threshold"
  /**
   * The finite-key bound left no secret bits (too few detections, or the
   * decoy estimates show too few single-photon detections, as under a
   * photon-number-splitting attack).
   */
  | "insufficient_secret_bits"
  /** The keys still differed after reconciliation; the block was discarded. */
  | "verification_failed"
  /**
   * The pool was full (or the link RED): the block was measured for QBER and
   * decoy estimates, then discarded before error correction.
   */
  | "discarded";

/** Which attack the simulated eavesdropper runs. */
export type EveMode = "none" | "intercept_resend" | "pns";

/** The simulated link's settings, as the KMS's flags set them. */
export interface LinkSettingsReport {
  /** Always true: the quantum channel is a classical simulation. */
  simulated: true;
  /** Fibre length between Alice (KMS) and Bob (device), km. */
  distance_km: number;
  /** Fibre loss, dB/km. */
  attenuation_db_per_km: number;
  /** Bob's detection efficiency, 0..1. */
  detector_efficiency: number;
  /** Dark-count probability per detector per pulse. */
  dark_count_probability: number;
  /** Probability that the optics send a photon to the wrong detector. */
  misalignment_error: number;
  /** Mean photon numbers: signal, weak decoy, vacuum. */
  intensities: [number, number, number];
  /** How often Alice picks each intensity. */
  intensity_probabilities: [number, number, number];
  /** Probability of the key basis X. */
  key_basis_probability: number;
  /** Pulses Alice sends per second of link time. */
  pulse_rate_hz: number;
  /** Key-basis detections n_X per post-processing block. */
  block_size: number;
  /** Finite-key secrecy parameter ε_sec. */
  eps_sec: number;
  /** Finite-key correctness parameter ε_cor. */
  eps_cor: number;
}

/** Decoy-state estimates of one block (Lim et al. 2014 bounds). */
export interface DecoyReport {
  /** Lower bound on vacuum detections in the key basis, s_X,0. */
  vacuum_detections_lower: number;
  /** Lower bound on single-photon detections in the key basis, s_X,1. */
  single_photon_detections_lower: number;
  /** Upper bound on the single-photon phase error rate, φ_X. */
  phase_error_upper: number;
}

/** One finished post-processing block of the link. */
export interface BlockReport {
  /** Blocks run since the KMS started, counting this one. */
  index: number;
  /** ISO time the block finished. */
  time: string;
  outcome: BlockOutcome;
  /** Why no key, for an operator; absent for `key`. */
  message?: string;
  /** The attack the eavesdropper ran on this block. */
  eve: EveMode;
  /** Key-basis QBER of the block, 0..1. */
  qber: number;
  /** Pulses Alice sent for the block. */
  pulses: number;
  /** Link time the block took at the pulse rate, seconds. */
  duration_s: number;
  /** Key-basis detections n_X. */
  detections: number;
  /** Bits error correction disclosed. */
  leaked_bits: number;
  /** Secret bits the block added to the pool (0 unless `key`). */
  secret_bits: number;
  /** Decoy estimates, or null when the bound could not be evaluated. */
  decoy: DecoyReport | null;
}

/** The pool's level, as the `pool` event and `block` events carry it. */
export interface PoolLevel {
  /** Secret bits waiting in the pool. */
  pool_bits: number;
  /** Most bits the pool holds. */
  pool_capacity_bits: number;
}

/** `GET /link_status`'s `link`: the link as an operator sees it. */
export interface LinkReport extends PoolLevel {
  settings: LinkSettingsReport;
  /** The attack the eavesdropper runs now. */
  eve: EveMode;
  /** Secret bits per second of link time over the recent blocks. */
  key_rate_bps: number;
  /** Blocks run since the KMS started. */
  blocks: number;
  /** The latest block, or null before the first. */
  last_block: BlockReport | null;
}

/** The `block` event: a block finished, and the pool it fed. */
export type BlockEventData = BlockReport & PoolLevel & {
  /** Secret bits per second of link time over the recent blocks. */
  key_rate_bps: number;
};

/** Why the pool's level changed outside a block. */
export type PoolChange = "taken" | "flushed";

/** The `pool` event: keys were taken, or the pool was flushed. */
export type PoolEventData = PoolLevel & {
  change: PoolChange;
  /** Bits that left the pool in this change. */
  bits: number;
  /** ISO time. */
  time: string;
};

const OUTCOMES: readonly BlockOutcome[] = [
  "key",
  "qber_above_threshold",
  "insufficient_secret_bits",
  "verification_failed",
  "discarded",
];
const EVE_MODES: readonly EveMode[] = ["none", "intercept_resend", "pns"];

function isTriple(value: unknown): value is [number, number, number] {
  return Array.isArray(value) && value.length === 3 &&
    value.every(isNonNegative);
}

/**
 * Whether `value` is one of the eavesdropper's modes.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { isEveMode } from "./link_report.ts";
 *
 * assertEquals([isEveMode("pns"), isEveMode("laser")], [true, false]);
 * ```
 */
export function isEveMode(value: unknown): value is EveMode {
  return EVE_MODES.includes(value as EveMode);
}

/**
 * Whether `value` is a {@linkcode BlockReport}, field for field.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { isBlockReport } from "./link_report.ts";
 *
 * const block = {
 *   index: 1, time: "T", outcome: "key", eve: "none", qber: 0.02,
 *   pulses: 3e8, duration_s: 0.3, detections: 1e6, leaked_bits: 150000,
 *   secret_bits: 320000, decoy: null,
 * };
 * assertEquals(isBlockReport(block), true);
 * assertEquals(isBlockReport({ ...block, outcome: "maybe" }), false);
 * ```
 */
export function isBlockReport(value: unknown): value is BlockReport {
  if (!isRecord(value)) return false;
  const v = value;
  return isCount(v.index) && v.index >= 1 && typeof v.time === "string" &&
    OUTCOMES.includes(v.outcome as BlockOutcome) &&
    (v.message === undefined || typeof v.message === "string") &&
    isEveMode(v.eve) && isRatio(v.qber) && isCount(v.pulses) &&
    isNonNegative(v.duration_s) && isCount(v.detections) &&
    isNonNegative(v.leaked_bits) && isCount(v.secret_bits) &&
    (v.decoy === null || isDecoyReport(v.decoy));
}

function isDecoyReport(value: unknown): value is DecoyReport {
  return isRecord(value) && isNonNegative(value.vacuum_detections_lower) &&
    isNonNegative(value.single_photon_detections_lower) &&
    isRatio(value.phase_error_upper);
}

function isPoolLevel(value: Json): boolean {
  return isCount(value.pool_bits) && isCount(value.pool_capacity_bits);
}

function isSettings(value: unknown): value is LinkSettingsReport {
  if (!isRecord(value)) return false;
  const v = value;
  return v.simulated === true && isNonNegative(v.distance_km) &&
    isNonNegative(v.attenuation_db_per_km) && isRatio(v.detector_efficiency) &&
    isRatio(v.dark_count_probability) && isRatio(v.misalignment_error) &&
    isTriple(v.intensities) && isTriple(v.intensity_probabilities) &&
    isRatio(v.key_basis_probability) && isNonNegative(v.pulse_rate_hz) &&
    isCount(v.block_size) && isRatio(v.eps_sec) && isRatio(v.eps_cor);
}

/**
 * Whether `value` is a {@linkcode LinkReport}, field for field.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { isLinkReport } from "./link_report.ts";
 *
 * assertEquals(isLinkReport({ eve: "none" }), false);
 * ```
 */
export function isLinkReport(value: unknown): value is LinkReport {
  if (!isRecord(value)) return false;
  return isSettings(value.settings) && isEveMode(value.eve) &&
    isPoolLevel(value) && isNonNegative(value.key_rate_bps) &&
    isCount(value.blocks) &&
    (value.last_block === null || isBlockReport(value.last_block));
}

/**
 * Whether `value` is the data of a `block` event.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { isBlockEventData } from "./link_report.ts";
 *
 * assertEquals(isBlockEventData({ pool_bits: 0 }), false);
 * ```
 */
export function isBlockEventData(value: unknown): value is BlockEventData {
  return isBlockReport(value) && isPoolLevel(value as unknown as Json) &&
    isNonNegative((value as unknown as Json).key_rate_bps);
}

/**
 * Whether `value` is the data of a `pool` event.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { isPoolEventData } from "./link_report.ts";
 *
 * const flushed = {
 *   change: "flushed", bits: 4096, pool_bits: 0,
 *   pool_capacity_bits: 16777216, time: "T",
 * };
 * assertEquals(isPoolEventData(flushed), true);
 * assertEquals(isPoolEventData({ ...flushed, change: "spilled" }), false);
 * ```
 */
export function isPoolEventData(value: unknown): value is PoolEventData {
  return isRecord(value) && isPoolLevel(value) &&
    (value.change === "taken" || value.change === "flushed") &&
    isCount(value.bits) && typeof value.time === "string";
}
