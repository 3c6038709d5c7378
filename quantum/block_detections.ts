/**
 * The detections of one post-processing block on a decoy-state BB84 link
 * (the protocol of Lim, Curty, Walenta, Xu, Zbinden, PRA 89, 022307, 2014):
 * Alice sends phase-randomised weak coherent pulses of three intensities,
 * both pick basis X with probability q_X, and the block closes when n_X
 * key-basis detections have come in.
 *
 * Drawn event by event rather than pulse by pulse: every pulse is
 * independent (no detector dead time here), so the number of pulses until
 * the n_X-th key-basis detection, the intensity of each detection and its
 * error have exact distributions that follow from the per-pulse
 * probabilities; sampling them gives the same statistics as
 * {@linkcode simulatePulses} (which checks that model pulse by pulse) at a
 * cost of the detections, not of the 10^8 and more pulses a block of 10^6
 * takes at 25 km. The per-pulse probabilities are those of Lim et al.,
 * Sec. IV (two detectors, dark counts read as a coin), with the photon
 * yield of an honest fibre, an intercept-resend Eve or a
 * photon-number-splitting Eve ({@linkcode photonClickProbabilities}).
 *
 * A classical simulation of a quantum link's statistics. Alice's bits, which
 * become key material, come from the CSPRNG; the physics from Xoshiro128.
 *
 * @module
 */

import type { BitString } from "./bits.ts";
import type { DecoyLinkParams } from "./decoy.ts";
import { transmittance } from "./decoy.ts";
import type { BasisCounts } from "./finite_key.ts";
import {
  photonClickProbabilities,
  poissonProbability,
} from "./pulse_channel.ts";
import { cryptoWords, type Xoshiro128 } from "./random.ts";
import { binomial, trialsUntil } from "./sampling.ts";

/** The link a block runs on. */
export interface BlockLink {
  distanceKm: number;
  /** Default 0.2 dB/km. */
  attenuationDbPerKm?: number;
  /** Bob's detection efficiency η_Bob. */
  detectorEfficiency: number;
  /** Dark-count probability p_dc of each of Bob's two detectors per pulse. */
  darkCountProbability: number;
  /** Probability e_mis that a photon reaches the wrong detector. */
  misalignmentError: number;
  /** Signal, weak decoy and vacuum intensities. */
  intensities: readonly [number, number, number];
  /** How often Alice picks each. */
  intensityProbabilities: readonly [number, number, number];
  /** Probability q_X that Alice (and Bob) pick the key basis X. */
  keyBasisProbability: number;
}

/** Which attack the simulated eavesdropper runs. */
export type EveMode = "none" | "intercept_resend" | "pns";

/** The eavesdropper on the fibre. */
export interface Eavesdropper {
  mode: EveMode;
  /**
   * Fraction of pulses an intercept-resend Eve measures and resends, 0..1.
   * Default 1.
   */
  rate?: number;
}

/** What one block leaves Alice and Bob with. */
export interface BlockDetections {
  /** Pulses Alice sent. */
  pulses: number;
  /** Per intensity (signal, weak, vacuum): detections and errors per basis. */
  counts: [BasisCounts, BasisCounts, BasisCounts];
  /** Alice's key-basis bits, one per X detection, in order. */
  alice: BitString;
  /** Bob's, with the channel's errors. */
  bob: BitString;
}

/** Per-pulse probabilities at one intensity. */
interface PulseOdds {
  /** Some detector clicks (D_k). */
  detect: number;
  /** A click with the wrong bit (the error rate per pulse). */
  error: number;
}

const CHUNK = 1 << 16;
const TWO_32 = 4294967296;

function pulseOdds(link: BlockLink, eve: Eavesdropper): PulseOdds[] {
  const params: DecoyLinkParams = { ...link, mu: link.intensities[0] };
  const eta = transmittance(params);
  const pns = eve.mode === "pns";
  const clicks = pns ? photonClickProbabilities(params, { pns }) : null;
  const rate = eve.mode === "intercept_resend" ? eve.rate ?? 1 : 0;
  // An intercepted photon Eve measured in the wrong basis (half of them)
  // reads as a coin; one she measured right errs only by misalignment.
  const photonError = (1 - rate) * link.misalignmentError +
    rate * (0.25 + link.misalignmentError / 2);
  const pdc = link.darkCountProbability;
  return link.intensities.map((mu) => {
    let photonYield = -Math.expm1(-eta * mu);
    if (clicks) {
      photonYield = 0;
      for (let n = 1; n < clicks.length; n++) {
        photonYield += poissonProbability(mu, n) * clicks[n];
      }
    }
    return {
      detect: 1 - (1 - 2 * pdc) * (1 - photonYield),
      error: pdc + photonError * photonYield,
    };
  });
}

/**
 * Draws the detections of a block of `blockSize` key-basis (X) detections.
 *
 * @example
 * ```ts
 * import { assert, assertEquals } from "@std/assert";
 * import { sampleBlock } from "./block_detections.ts";
 * import { Xoshiro128 } from "./random.ts";
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
 * const block = sampleBlock(link, 100_000, { mode: "none" }, new Xoshiro128());
 * assertEquals(block.alice.length, 100_000);
 * assertEquals(block.counts.reduce((n, c) => n + c.nX, 0), 100_000);
 * const errors = block.counts.reduce((n, c) => n + c.mX, 0);
 * assert(errors > 1500 && errors < 2500); // about 2%
 * assert(block.pulses > 2.9e7 && block.pulses < 3.3e7);
 * ```
 */
export function sampleBlock(
  link: BlockLink,
  blockSize: number,
  eve: Eavesdropper,
  rng: Xoshiro128,
): BlockDetections {
  const odds = pulseOdds(link, eve);
  const qX = link.keyBasisProbability;
  const inX = odds.map((o, k) =>
    link.intensityProbabilities[k] * qX * qX * o.detect
  );
  const inZ = odds.map((o, k) =>
    link.intensityProbabilities[k] * (1 - qX) ** 2 * o.detect
  );
  const xTotal = inX[0] + inX[1] + inX[2];
  const pulses = trialsUntil(blockSize, xTotal, rng);

  // Intensity and error of each X detection, from two words per detection.
  const classCut = [inX[0] / xTotal, (inX[0] + inX[1]) / xTotal].map((p) =>
    p * TWO_32
  );
  const qber = odds.map((o) => o.detect > 0 ? o.error / o.detect : 0);
  const errorCut = qber.map((e) => e * TWO_32);
  const nX = [0, 0, 0], mX = [0, 0, 0];
  const words = (blockSize + 31) >>> 5;
  const alice = cryptoWords(words);
  const bob = alice.slice();
  const classDraw = new Uint32Array(CHUNK), errorDraw = new Uint32Array(CHUNK);
  for (let start = 0; start < blockSize; start += CHUNK) {
    const size = Math.min(CHUNK, blockSize - start);
    rng.fill(classDraw);
    rng.fill(errorDraw);
    for (let i = 0; i < size; i++) {
      const u = classDraw[i];
      const k = u < classCut[0] ? 0 : u < classCut[1] ? 1 : 2;
      nX[k]++;
      if (errorDraw[i] < errorCut[k]) {
        mX[k]++;
        const bit = start + i;
        bob[bit >>> 5] ^= 1 << (bit & 31);
      }
    }
  }
  const tail = blockSize & 31;
  if (tail) {
    alice[words - 1] &= (1 << tail) - 1;
    bob[words - 1] &= (1 << tail) - 1;
  }

  // The other pulses: Z-basis detections per intensity, one after another
  // from what is left (a multinomial as a chain of binomials).
  let rest = pulses - blockSize, restOdds = 1 - xTotal;
  const counts = odds.map((_, k): BasisCounts => {
    const nZ = binomial(rest, Math.min(1, inZ[k] / restOdds), rng);
    rest -= nZ;
    restOdds -= inZ[k];
    return {
      intensity: link.intensities[k],
      probability: link.intensityProbabilities[k],
      nX: nX[k],
      mX: mX[k],
      nZ,
      mZ: binomial(nZ, qber[k], rng),
    };
  }) as [BasisCounts, BasisCounts, BasisCounts];
  return {
    pulses,
    counts,
    alice: { words: alice, length: blockSize },
    bob: { words: bob, length: blockSize },
  };
}
