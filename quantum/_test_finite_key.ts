/**
 * Test helper: the demo's link as the finite-key tests and the bench assume
 * it, 25 km of fibre at about 2% QBER (misalignment 2%, the detectors of Lim
 * et al. 2014, Sec. IV), with fixed decoy settings a link would ship and
 * Cascade's measured efficiency f = 1.07.
 *
 * @module
 */

import type { FiniteKeyChannel } from "./finite_key_channel.ts";

/** Everything but the block size. */
export const DEMO_LINK: Omit<FiniteKeyChannel, "blockSize"> = {
  distanceKm: 25,
  detectorEfficiency: 0.1,
  darkCountProbability: 6e-7,
  misalignmentError: 0.02,
  intensities: [0.5, 0.2, 2e-4],
  intensityProbabilities: [0.2, 0.55, 0.25],
  keyBasisProbability: 0.7,
  reconciliationEfficiency: 1.07,
};
