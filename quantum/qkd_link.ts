/**
 * One block of a continuously running decoy-state BB84 link, end to end:
 * detections ({@linkcode sampleBlock}), the QBER check, the decoy-state
 * parameter estimation and finite-key secret length of Lim, Curty, Walenta,
 * Xu and Zbinden, PRA 89, 022307 (2014) ({@linkcode finiteKeyLength}),
 * Cascade reconciliation, verification by a 64-bit Toeplitz hash, and
 * Toeplitz privacy amplification down to that length.
 *
 * The quantum channel is a classical simulation; the post-processing and the
 * bound are real. Alice's and Bob's sides run in one process here: each step
 * uses only what its side would have, and what crosses the public channel
 * (parities, hash seeds, tags) is counted or public by design.
 *
 * @module
 */

import { bitsToBytes } from "./bits.ts";
import {
  type BlockLink,
  type Eavesdropper,
  sampleBlock,
} from "./block_detections.ts";
import { cascade } from "./cascade.ts";
import { QBER_SECURITY_THRESHOLD } from "./entropy.ts";
import {
  type BasisCounts,
  finiteKeyLength,
  type FiniteKeyOptions,
  type FiniteKeyTerms,
} from "./finite_key.ts";
import { toeplitzHash, toeplitzSeedBits } from "./privacy_amplification.ts";
import { cryptoWords, Xoshiro128 } from "./random.ts";

/** A link's settings: the fibre, the source, and its post-processing block. */
export interface QkdLinkSettings extends BlockLink {
  /** Key-basis detections n_X per post-processing block. */
  blockSize: number;
  /** Pulses Alice sends per second: converts a block's pulses to link time. */
  pulseRate: number;
}

/**
 * The demo's link: 25 km of 0.2 dB/km fibre; the detectors of Lim et al.
 * 2014, Sec. IV (η_Bob 0.1, p_dc 6·10^-7) with 2% misalignment, so the QBER
 * is about 2%; intensities 0.5 / 0.2 / 2·10^-4 picked 20 / 55 / 25% of the
 * time, q_X = 0.7; blocks of 10^6 detections, a 1 GHz source.
 */
export const DEMO_LINK_SETTINGS: Readonly<QkdLinkSettings> = Object.freeze({
  distanceKm: 25,
  attenuationDbPerKm: 0.2,
  detectorEfficiency: 0.1,
  darkCountProbability: 6e-7,
  misalignmentError: 0.02,
  intensities: [0.5, 0.2, 2e-4] as const,
  intensityProbabilities: [0.2, 0.55, 0.25] as const,
  keyBasisProbability: 0.7,
  blockSize: 1_000_000,
  pulseRate: 1e9,
});

/** Options of {@linkcode runLinkBlock}. */
export interface LinkBlockOptions extends FiniteKeyOptions {
  /** The eavesdropper. Default none. */
  eve?: Eavesdropper;
  /**
   * Whether to reconcile and amplify. `false` measures the block (QBER and
   * decoy bounds) and discards its key before error correction, as a link
   * does with a full key store. Default true.
   */
  postProcess?: boolean;
  /** Generator of the physics and of Cascade's public shuffles. */
  rng?: Xoshiro128;
}

/** The decoy-state estimates of a block (Lim et al. 2014, Eqs. 2, 3, 5). */
export interface DecoyBounds {
  /** s_X,0: vacuum detections in the key basis, lower bound. */
  vacuumDetectionsLower: number;
  /** s_X,1: single-photon detections in the key basis, lower bound. */
  singlePhotonDetectionsLower: number;
  /** φ_X: the single-photon phase error rate, upper bound. */
  phaseErrorUpper: number;
}

/** What a block measured and cost, whatever its outcome. */
export interface LinkBlockStats {
  /** Pulses Alice sent. */
  pulses: number;
  /** Link time at the pulse rate, seconds. */
  durationSeconds: number;
  /** Key-basis detections n_X. */
  detections: number;
  /**
   * Key-basis QBER m_X / n_X (what error correction finds; a link that
   * aborts or discards a block can disclose the whole block to count it).
   */
  qber: number;
  /** Detections and errors per intensity and basis. */
  counts: readonly [BasisCounts, BasisCounts, BasisCounts];
  /** Parity bits Cascade disclosed (0 when not reconciled). */
  leakedBits: number;
  /** Messages Cascade exchanged over the public channel. */
  cascadeMessages: number;
  /** Secret bits the block gave, a multiple of 8 (0 unless ok). */
  secretBits: number;
  /** The decoy estimates, or null when the bound was not evaluated. */
  decoy: DecoyBounds | null;
}

/** Why a block gave no key. */
export type LinkBlockAbort =
  | "qber_above_threshold"
  | "insufficient_secret_bits"
  | "verification_failed"
  | "discarded";

/** A block's outcome: secret bits, or why not. */
export type LinkBlock =
  & LinkBlockStats
  & (
    | { ok: true; secret: Uint8Array }
    | { ok: false; reason: LinkBlockAbort; message: string }
  );

/**
 * Checks settings, throwing a RangeError that names the bad one.
 *
 * @example
 * ```ts
 * import { assertThrows } from "@std/assert";
 * import { DEMO_LINK_SETTINGS, validateLinkSettings } from "./qkd_link.ts";
 *
 * validateLinkSettings(DEMO_LINK_SETTINGS);
 * assertThrows(
 *   () => validateLinkSettings({ ...DEMO_LINK_SETTINGS, blockSize: 0 }),
 *   RangeError,
 *   "blockSize",
 * );
 * ```
 */
export function validateLinkSettings(settings: QkdLinkSettings): void {
  const s = settings;
  const [mu1, mu2, mu3] = s.intensities;
  const p = s.intensityProbabilities;
  const checks: [string, unknown, boolean][] = [
    ["distanceKm", s.distanceKm, s.distanceKm >= 0],
    [
      "attenuationDbPerKm",
      s.attenuationDbPerKm,
      (s.attenuationDbPerKm ?? 0.2) >= 0,
    ],
    [
      "detectorEfficiency",
      s.detectorEfficiency,
      s.detectorEfficiency > 0 && s.detectorEfficiency <= 1,
    ],
    [
      "darkCountProbability",
      s.darkCountProbability,
      s.darkCountProbability >= 0 && s.darkCountProbability < 0.5,
    ],
    [
      "misalignmentError",
      s.misalignmentError,
      s.misalignmentError >= 0 && s.misalignmentError <= 0.5,
    ],
    [
      "intensities (μ1 > μ2 + μ3, μ2 > μ3 ≥ 0)",
      s.intensities,
      s.intensities.length === 3 && mu1 > mu2 + mu3 && mu2 > mu3 && mu3 >= 0,
    ],
    [
      "intensityProbabilities",
      p,
      p.length === 3 && p.every((x) => x > 0) &&
      Math.abs(p[0] + p[1] + p[2] - 1) < 1e-9,
    ],
    [
      "keyBasisProbability",
      s.keyBasisProbability,
      s.keyBasisProbability > 0 && s.keyBasisProbability < 1,
    ],
    [
      "blockSize",
      s.blockSize,
      Number.isSafeInteger(s.blockSize) && s.blockSize >= 1000,
    ],
    ["pulseRate", s.pulseRate, s.pulseRate > 0 && Number.isFinite(s.pulseRate)],
  ];
  for (const [name, value, valid] of checks) {
    if (!valid) {
      throw new RangeError(`${name} out of range: ${JSON.stringify(value)}`);
    }
  }
}

const TAG_BITS = 64;

/**
 * Runs one block of the link.
 *
 * @example
 * ```ts
 * import { assert, assertEquals } from "@std/assert";
 * import { DEMO_LINK_SETTINGS, runLinkBlock } from "./qkd_link.ts";
 *
 * const settings = { ...DEMO_LINK_SETTINGS, blockSize: 200_000 };
 * const block = runLinkBlock(settings);
 * assert(block.ok && block.secret.length * 8 === block.secretBits);
 * assert(block.qber > 0.015 && block.qber < 0.025);
 *
 * const attacked = runLinkBlock(settings, { eve: { mode: "intercept_resend" } });
 * assertEquals(!attacked.ok && attacked.reason, "qber_above_threshold");
 *
 * // Photon-number splitting leaves the QBER alone; the decoys see it.
 * const split = runLinkBlock(settings, { eve: { mode: "pns" } });
 * assert(split.qber < 0.03);
 * assertEquals(!split.ok && split.reason, "insufficient_secret_bits");
 * ```
 */
export function runLinkBlock(
  settings: QkdLinkSettings,
  options: LinkBlockOptions = {},
): LinkBlock {
  validateLinkSettings(settings);
  const rng = options.rng ?? new Xoshiro128();
  const bound = { epsSec: options.epsSec, epsCor: options.epsCor };
  const n = settings.blockSize;
  const block = sampleBlock(
    settings,
    n,
    options.eve ?? { mode: "none" },
    rng,
  );
  const { counts } = block;
  const errors = counts[0].mX + counts[1].mX + counts[2].mX;
  const stats: LinkBlockStats = {
    pulses: block.pulses,
    durationSeconds: block.pulses / settings.pulseRate,
    detections: n,
    qber: errors / n,
    counts,
    leakedBits: 0,
    cascadeMessages: 0,
    secretBits: 0,
    decoy: null,
  };
  // The decoy bounds do not depend on the leak: evaluated once without it,
  // they show whether any key could be left after error correction.
  const before = finiteKeyLength({ counts, leakedBits: 0 }, bound);
  stats.decoy = decoyBounds(before.terms);
  if (stats.qber > QBER_SECURITY_THRESHOLD) {
    return abort(
      stats,
      "qber_above_threshold",
      `QBER ${percent(stats.qber)} is above the ${
        percent(QBER_SECURITY_THRESHOLD)
      } threshold: possible eavesdropper, block discarded`,
    );
  }
  if (options.postProcess === false) {
    return abort(
      stats,
      "discarded",
      "block measured and discarded before error correction",
    );
  }
  if (!before.ok) {
    return abort(stats, "insufficient_secret_bits", before.message);
  }

  // Block sizes follow the Z-basis error rate, public from parameter
  // estimation (Laplace's estimate, so a block without Z errors still plans
  // for some).
  const nZ = counts[0].nZ + counts[1].nZ + counts[2].nZ;
  const mZ = counts[0].mZ + counts[1].mZ + counts[2].mZ;
  const reconciled = cascade(block.alice, block.bob, {
    qber: (mZ + 1) / (nZ + 2),
  }, rng);
  stats.leakedBits = reconciled.leakedBits;
  stats.cascadeMessages = reconciled.messages;
  // Equal strings hash alike, so the tags (and below, the amplified keys)
  // are compared only where Bob's string differs from Alice's: the outcome
  // is that of computing both sides, at half the cost.
  const differ = !sameWords(block.alice.words, reconciled.corrected.words);
  if (differ) {
    const seed = cryptoWords(Math.ceil(toeplitzSeedBits(n, TAG_BITS) / 32));
    const tags = [block.alice, reconciled.corrected].map((bits) =>
      toeplitzHash(bits, TAG_BITS, seed)
    );
    if (!sameWords(tags[0], tags[1])) {
      return abort(
        stats,
        "verification_failed",
        "keys still differ after reconciliation: block discarded",
      );
    }
  }

  const length = finiteKeyLength({
    counts,
    leakedBits: reconciled.leakedBits,
  }, bound);
  stats.decoy = decoyBounds(length.terms);
  if (!length.ok || length.secretBits < 8) {
    return abort(
      stats,
      "insufficient_secret_bits",
      length.ok ? "under one byte of secret bits" : length.message,
    );
  }
  const secretBits = length.secretBits - length.secretBits % 8;
  const seed = cryptoWords(Math.ceil(toeplitzSeedBits(n, secretBits) / 32));
  const key = toeplitzHash(block.alice, secretBits, seed);
  if (
    differ &&
    !sameWords(key, toeplitzHash(reconciled.corrected, secretBits, seed))
  ) {
    return abort(stats, "verification_failed", "amplified keys differ");
  }
  stats.secretBits = secretBits;
  return { ...stats, ok: true, secret: bitsToBytes(key, secretBits / 8) };
}

function decoyBounds(terms: FiniteKeyTerms): DecoyBounds {
  return {
    vacuumDetectionsLower: terms.sX0,
    singlePhotonDetectionsLower: terms.sX1,
    phaseErrorUpper: terms.phiX,
  };
}

function sameWords(a: Uint32Array, b: Uint32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function abort(
  stats: LinkBlockStats,
  reason: LinkBlockAbort,
  message: string,
): LinkBlock {
  return { ...stats, ok: false, reason, message };
}

function percent(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}
