/**
 * What an honest block of the link should show: the expected decoy
 * estimates and secret length of a block of n_X detections at the link's
 * settings, from the fibre model of Lim, Curty, Walenta, Xu, Zbinden, PRA 89,
 * 022307 (2014) (`expectedFiniteKeyLength` of `quantum/finite_key_channel.ts`,
 * counts at their expected values, f = 1.16). The view compares each
 * measured block with it: a photon-number-splitting attack leaves the QBER
 * as it is and lowers the single-photon estimate.
 *
 * @module
 */

import { expectedFiniteKeyLength } from "../quantum/mod.ts";
import type { LinkSettingsReport } from "../protocol/link_report.ts";

/** The expected figures of an honest block (simulated model). */
export interface HonestBlock {
  /** Expected key-basis QBER. */
  qber: number;
  /** Expected lower bound on single-photon detections s_X,1. */
  singlePhotonDetectionsLower: number;
  /** Expected upper bound on the phase error rate φ_X. */
  phaseErrorUpper: number;
  /** Expected secret bits (0 when the bound gives none at this block size). */
  secretBits: number;
}

/**
 * The honest expectation at `settings`; `null` when the model refuses them
 * (it names why; the view then judges blocks by their own figures only).
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { honestBlock } from "./link_expectation.ts";
 * import { SAMPLE_LINK_REPORT } from "../protocol/_test_link_report.ts";
 *
 * const honest = honestBlock(SAMPLE_LINK_REPORT.settings)!;
 * // About 64% of the 10^6 detections are bounded as single-photon ones.
 * assert(honest.singlePhotonDetectionsLower > 6e5 && honest.singlePhotonDetectionsLower < 7e5);
 * assert(honest.secretBits > 2e5 && Math.abs(honest.qber - 0.02) < 1e-3);
 * ```
 */
export function honestBlock(settings: LinkSettingsReport): HonestBlock | null {
  let expected;
  try {
    expected = expectedFiniteKeyLength({
      blockSize: settings.block_size,
      distanceKm: settings.distance_km,
      attenuationDbPerKm: settings.attenuation_db_per_km,
      detectorEfficiency: settings.detector_efficiency,
      darkCountProbability: settings.dark_count_probability,
      misalignmentError: settings.misalignment_error,
      intensities: settings.intensities,
      intensityProbabilities: settings.intensity_probabilities,
      keyBasisProbability: settings.key_basis_probability,
    }, { epsSec: settings.eps_sec, epsCor: settings.eps_cor });
  } catch {
    // A RangeError naming the setting the model cannot take.
    return null;
  }
  const { terms } = expected;
  return {
    qber: terms.qberX,
    singlePhotonDetectionsLower: terms.sX1,
    phaseErrorUpper: terms.phiX,
    secretBits: expected.ok ? expected.secretBits : 0,
  };
}
