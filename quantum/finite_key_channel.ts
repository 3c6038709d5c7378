/**
 * The finite-key secret length a fibre link is expected to give: the counts a
 * channel model predicts for a block, put through {@linkcode finiteKeyLength}
 * (Lim, Curty, Walenta, Xu, Zbinden, Phys. Rev. A 89, 022307, 2014).
 *
 * @module
 */

import { binaryEntropy } from "./entropy.ts";
import {
  type BasisCounts,
  finiteKeyLength,
  type FiniteKeyOptions,
  type FiniteKeyResult,
} from "./finite_key.ts";

/** A decoy-state BB84 link and the block it runs, for {@linkcode expectedFiniteKeyLength}. */
export interface FiniteKeyChannel {
  /**
   * The block: X-basis detections n_X whose bits become the raw key (the
   * paper's post-processing block size). The pulses it takes follow from the
   * channel.
   */
  blockSize: number;
  /** Fibre length in km. */
  distanceKm: number;
  /** Fibre loss. Default 0.2 dB/km. */
  attenuationDbPerKm?: number;
  /** Bob's detection efficiency η_Bob, including his optics. */
  detectorEfficiency: number;
  /** Dark-count probability p_dc of each of Bob's two detectors per pulse. */
  darkCountProbability: number;
  /** Probability e_mis that optics send a photon to the wrong detector. */
  misalignmentError: number;
  /** After-pulse probability p_ap. Default 0. */
  afterpulseProbability?: number;
  /** Signal, weak decoy and vacuum intensities μ1 > μ2 + μ3, μ2 > μ3 ≥ 0. */
  intensities: readonly [number, number, number];
  /** Probabilities p_k of the three intensities, summing to 1. */
  intensityProbabilities: readonly [number, number, number];
  /** Probability q_X that Alice (and Bob) pick the key basis X. */
  keyBasisProbability: number;
  /**
   * Reconciliation efficiency f: λ_EC = f·n_X·h(e_X). Default 1.16, the
   * paper's f_EC.
   */
  reconciliationEfficiency?: number;
}

/** {@linkcode finiteKeyLength}'s outcome, with the pulses the block took. */
export type ExpectedFiniteKey = FiniteKeyResult & {
  /** Pulses N Alice sends for a block of n_X X-basis detections. */
  pulses: number;
};

/**
 * The finite-key outcome of a block whose counts are their expected values
 * under the fibre model of Lim et al. 2014, Sec. IV: transmittance
 * η = η_Bob·10^(−αL/10); detection probability D_k = 1 − (1 − 2p_dc)e^(−ηk)
 * and R_k = D_k(1 + p_ap) at intensity k; error probability
 * e_k = p_dc + e_mis(1 − e^(−ηk)) + p_ap·D_k/2 (the paper prints η_ch in the
 * e_mis term; the photons that misalign are the detected ones, η_sys, as
 * here); λ_EC = f·n_X·h(e_X).
 *
 * @example
 * ```ts
 * import { assert, assertEquals } from "@std/assert";
 * import { expectedFiniteKeyLength } from "./finite_key_channel.ts";
 *
 * const link = {
 *   distanceKm: 25,
 *   detectorEfficiency: 0.1,
 *   darkCountProbability: 6e-7,
 *   misalignmentError: 0.02,
 *   intensities: [0.5, 0.2, 2e-4],
 *   intensityProbabilities: [0.2, 0.55, 0.25],
 *   keyBasisProbability: 0.7,
 * } as const;
 * const block = expectedFiniteKeyLength({ ...link, blockSize: 1e6 });
 * assert(block.ok && block.secretBits > 2e5);
 * assert(block.pulses > 3e8); // 25 km of fibre loses most pulses
 * const small = expectedFiniteKeyLength({ ...link, blockSize: 1e4 });
 * assertEquals(small.ok, false);
 * ```
 */
export function expectedFiniteKeyLength(
  channel: FiniteKeyChannel,
  options: FiniteKeyOptions = {},
): ExpectedFiniteKey {
  validateChannel(channel);
  const perPulse = expectedCounts(channel);
  const pulses = channel.blockSize / perPulse.reduce((sum, c) => sum + c.nX, 0);
  const counts = perPulse.map((c) => ({
    ...c,
    nX: c.nX * pulses,
    mX: c.mX * pulses,
    nZ: c.nZ * pulses,
    mZ: c.mZ * pulses,
  })) as [BasisCounts, BasisCounts, BasisCounts];
  const f = channel.reconciliationEfficiency ?? 1.16;
  const qberX = perPulse.reduce((sum, c) => sum + c.mX, 0) /
    perPulse.reduce((sum, c) => sum + c.nX, 0);
  const leakedBits = f * channel.blockSize * binaryEntropy(qberX);
  return { ...finiteKeyLength({ counts, leakedBits }, options), pulses };
}

// Expected counts per pulse Alice sends.
function expectedCounts(channel: FiniteKeyChannel): BasisCounts[] {
  const {
    distanceKm,
    attenuationDbPerKm = 0.2,
    detectorEfficiency,
    darkCountProbability: pdc,
    misalignmentError,
    afterpulseProbability: pap = 0,
    keyBasisProbability: qX,
  } = channel;
  const eta = detectorEfficiency *
    10 ** (-attenuationDbPerKm * distanceKm / 10);
  const [x, z] = [qX ** 2, (1 - qX) ** 2];
  const at = (k: number): BasisCounts => {
    const intensity = channel.intensities[k];
    const probability = channel.intensityProbabilities[k];
    const arrived = 1 - Math.exp(-eta * intensity);
    const detected = 1 - (1 - 2 * pdc) * Math.exp(-eta * intensity);
    const rate = probability * detected * (1 + pap);
    const errors = probability *
      (pdc + misalignmentError * arrived + pap * detected / 2);
    return {
      intensity,
      probability,
      nX: x * rate,
      mX: x * errors,
      nZ: z * rate,
      mZ: z * errors,
    };
  };
  return [at(0), at(1), at(2)];
}

function validateChannel(channel: FiniteKeyChannel): void {
  const {
    attenuationDbPerKm = 0.2,
    afterpulseProbability = 0,
    reconciliationEfficiency = 1.16,
  } = channel;
  const checks: [string, number, boolean][] = [
    ["blockSize", channel.blockSize, channel.blockSize >= 1],
    ["distanceKm", channel.distanceKm, channel.distanceKm >= 0],
    ["attenuationDbPerKm", attenuationDbPerKm, attenuationDbPerKm >= 0],
    [
      "detectorEfficiency",
      channel.detectorEfficiency,
      channel.detectorEfficiency > 0 && channel.detectorEfficiency <= 1,
    ],
    [
      "darkCountProbability",
      channel.darkCountProbability,
      channel.darkCountProbability >= 0 && channel.darkCountProbability < 0.5,
    ],
    [
      "misalignmentError",
      channel.misalignmentError,
      channel.misalignmentError >= 0 && channel.misalignmentError <= 0.5,
    ],
    [
      "afterpulseProbability",
      afterpulseProbability,
      afterpulseProbability >= 0 && afterpulseProbability < 1,
    ],
    [
      "keyBasisProbability",
      channel.keyBasisProbability,
      channel.keyBasisProbability > 0 && channel.keyBasisProbability < 1,
    ],
    [
      "reconciliationEfficiency",
      reconciliationEfficiency,
      reconciliationEfficiency >= 1,
    ],
  ];
  for (const [name, value, valid] of checks) {
    if (!valid || !Number.isFinite(value)) {
      throw new RangeError(`${name} out of range: ${value}`);
    }
  }
}
