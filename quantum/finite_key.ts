/**
 * The finite-key secret length of decoy-state BB84: the bound of C. C. W. Lim,
 * M. Curty, N. Walenta, F. Xu, H. Zbinden, "Concise security bounds for
 * practical decoy-state quantum key distribution", Phys. Rev. A 89, 022307
 * (2014), arXiv:1311.7129, its Eqs. (1)–(5).
 *
 * The protocol it covers: Alice sends phase-randomised weak coherent pulses of
 * three intensities μ1 > μ2 + μ3, μ2 > μ3 ≥ 0 (signal, weak decoy, vacuum),
 * picked with probabilities p_k; Alice and Bob each pick basis X with
 * probability q_X. The key is the block of n_X X-basis detections of all three
 * intensities; the Z-basis detections bound its single-photon phase errors.
 * The key is ε_sec-secret and ε_cor-correct against general attacks; the decoy
 * counts' fluctuations are bounded by Hoeffding's inequality (Appendix A),
 * δ(n, ε) = sqrt(n/2 · ln(1/ε)), with each of the proof's 21 failure events
 * given ε = ε_sec/21 (Appendix B, Eq. B4).
 *
 * @module
 */

import { binaryEntropy } from "./entropy.ts";

/** Default secrecy parameter ε_sec of {@linkcode finiteKeyLength}. */
export const DEFAULT_EPS_SEC = 1e-10;
/**
 * Default correctness parameter ε_cor of {@linkcode finiteKeyLength}, the
 * paper's value. (The paper's figures take ε_sec = 10^-15 · ℓ, which is near
 * {@linkcode DEFAULT_EPS_SEC} for keys of 10^5 bits.)
 */
export const DEFAULT_EPS_COR = 1e-15;

/** What Alice and Bob counted in one block for one intensity k. */
export interface BasisCounts {
  /** Mean photon number μ_k of the pulses. */
  intensity: number;
  /** Probability p_k that Alice picks this intensity. */
  probability: number;
  /** Detections where both chose basis X: n_X,k. */
  nX: number;
  /** Bit errors among them: m_X,k (it enters only the reported QBER). */
  mX: number;
  /** Detections where both chose basis Z: n_Z,k. */
  nZ: number;
  /** Bit errors among them: m_Z,k. */
  mZ: number;
}

/** The measured data of one block, for {@linkcode finiteKeyLength}. */
export interface FiniteKeyInput {
  /** Signal μ1, weak decoy μ2 and vacuum μ3, in that order. */
  counts: readonly [BasisCounts, BasisCounts, BasisCounts];
  /**
   * λ_EC: bits error correction disclosed (Cascade's parities). The
   * verification hash is not part of it: it is the log2(2/ε_cor) term.
   */
  leakedBits: number;
}

/** Security parameters of the bound. */
export interface FiniteKeyOptions {
  /** Secrecy ε_sec. Default {@linkcode DEFAULT_EPS_SEC}. */
  epsSec?: number;
  /** Correctness ε_cor. Default {@linkcode DEFAULT_EPS_COR}. */
  epsCor?: number;
}

/** Every term of the bound, for the operator and the tests. */
export interface FiniteKeyTerms {
  /** The block: n_X = Σ n_X,k X-basis detections. */
  nX: number;
  /** Z-basis detections n_Z. */
  nZ: number;
  /** Bit errors m_X in the block. */
  mX: number;
  /** Bit errors m_Z in the Z basis. */
  mZ: number;
  /** Observed bit error rate m_X / n_X of the block. */
  qberX: number;
  /** δ(n_X, ε_sec/21): how far each n_X,k may stray (Eq. A1). */
  deltaX: number;
  /** δ(n_Z, ε_sec/21), the same for the Z counts. */
  deltaZ: number;
  /** δ(m_Z, ε_sec/21) for the Z error counts (Eq. A2). */
  deltaErrorsZ: number;
  /** Lower bound on vacuum events in the block, s_X,0 (Eq. 2), at least 0. */
  sX0: number;
  /** Lower bound on single-photon events in the block, s_X,1 (Eq. 3), at least 0. */
  sX1: number;
  /** s_Z,0, Eq. (2) on the Z counts, at least 0. */
  sZ0: number;
  /** s_Z,1, Eq. (3) on the Z counts, at least 0. */
  sZ1: number;
  /** Upper bound on single-photon bit errors in Z, v_Z,1 (Eq. 4). */
  vZ1: number;
  /** Upper bound on the single-photon phase error rate φ_X (Eq. 5), at most 1/2. */
  phiX: number;
  /** λ_EC. */
  leakedBits: number;
  /** 6·log2(21/ε_sec). */
  secrecyCost: number;
  /** log2(2/ε_cor). */
  correctnessCost: number;
  /** Eq. (1) before rounding down: s_X,0 + s_X,1(1 − h(φ_X)) − λ_EC − costs. */
  length: number;
}

/** A block that yields key. */
export interface FiniteKeySuccess {
  ok: true;
  /** ℓ of Eq. (1): secret bits privacy amplification may output. */
  secretBits: number;
  terms: FiniteKeyTerms;
}

/** A block too small (or too noisy) for any key. */
export interface FiniteKeyShortfall {
  ok: false;
  reason: "insufficient_secret_bits";
  /** Which term made the bound fail, with its value. */
  message: string;
  terms: FiniteKeyTerms;
}

/** The outcome of {@linkcode finiteKeyLength}. */
export type FiniteKeyResult = FiniteKeySuccess | FiniteKeyShortfall;

/**
 * Secret bits one block of decoy-state BB84 allows, Eq. (1) of Lim et al.
 * 2014: ℓ = ⌊s_X,0 + s_X,1(1 − h(φ_X)) − λ_EC − 6·log2(21/ε_sec) −
 * log2(2/ε_cor)⌋, with s_X,0, s_X,1 from Eqs. (2)–(3), v_Z,1 from Eq. (4) and
 * φ_X from Eq. (5). A negative lower bound counts as 0 (a count is never
 * negative); a phase error bound above 1/2, or no single photons in Z to take
 * it from, counts as 1/2, where the single photons give nothing.
 *
 * @example
 * ```ts
 * import { assert, assertEquals } from "@std/assert";
 * import { finiteKeyLength } from "./finite_key.ts";
 *
 * // About 10^6 X detections, at 2% QBER.
 * const counts = [
 *   { intensity: 0.5, probability: 0.2, nX: 4.3e5, mX: 8.7e3, nZ: 7.9e4, mZ: 1.6e3 },
 *   { intensity: 0.2, probability: 0.55, nX: 5.7e5, mX: 1.2e4, nZ: 1e5, mZ: 2.1e3 },
 *   { intensity: 2e-4, probability: 0.25, nX: 400, mX: 40, nZ: 70, mZ: 10 },
 * ] as const;
 * const result = finiteKeyLength({ counts, leakedBits: 1.5e5 });
 * assert(result.ok && result.secretBits > 4e5 && result.secretBits < 6e5);
 *
 * // A hundred times fewer: the decoy estimates are too loose for any key.
 * const tiny = finiteKeyLength({
 *   counts: [
 *     { intensity: 0.5, probability: 0.2, nX: 4300, mX: 87, nZ: 790, mZ: 16 },
 *     { intensity: 0.2, probability: 0.55, nX: 5700, mX: 120, nZ: 1000, mZ: 21 },
 *     { intensity: 2e-4, probability: 0.25, nX: 4, mX: 0, nZ: 1, mZ: 0 },
 *   ],
 *   leakedBits: 1500,
 * });
 * assertEquals(tiny.ok, false);
 * assertEquals(!tiny.ok && tiny.reason, "insufficient_secret_bits");
 * ```
 */
export function finiteKeyLength(
  input: FiniteKeyInput,
  options: FiniteKeyOptions = {},
): FiniteKeyResult {
  const { epsSec = DEFAULT_EPS_SEC, epsCor = DEFAULT_EPS_COR } = options;
  validateInput(input, epsSec, epsCor);
  const { counts, leakedBits } = input;
  const sum = (key: "nX" | "mX" | "nZ" | "mZ") =>
    counts.reduce((total, c) => total + c[key], 0);
  const [nX, mX, nZ, mZ] = [sum("nX"), sum("mX"), sum("nZ"), sum("mZ")];
  const lnInverseEps = Math.log(21 / epsSec);
  const delta = (n: number) => Math.sqrt(n / 2 * lnInverseEps);
  const [deltaX, deltaZ, deltaErrorsZ] = [delta(nX), delta(nZ), delta(mZ)];

  const x = decoyBounds(counts, counts.map((c) => c.nX), deltaX);
  const z = decoyBounds(counts, counts.map((c) => c.nZ), deltaZ);
  const [, [mu2, p2], [mu3, p3]] = counts.map((c) => [
    c.intensity,
    c.probability,
  ]);
  // Eq. (4): the decoy intensities' Z errors bound the single-photon errors.
  const vZ1 = tau(counts, 1) *
    (Math.exp(mu2) / p2 * (counts[1].mZ + deltaErrorsZ) -
      Math.exp(mu3) / p3 * (counts[2].mZ - deltaErrorsZ)) /
    (mu2 - mu3);
  const phiX = phaseErrorBound(vZ1, z.s1, x.s1, epsSec);

  const secrecyCost = 6 * Math.log2(21 / epsSec);
  const correctnessCost = Math.log2(2 / epsCor);
  const entropy = x.s0 + x.s1 * (1 - binaryEntropy(phiX));
  const length = entropy - leakedBits - secrecyCost - correctnessCost;
  const terms: FiniteKeyTerms = {
    nX,
    nZ,
    mX,
    mZ,
    qberX: nX > 0 ? mX / nX : 0,
    deltaX,
    deltaZ,
    deltaErrorsZ,
    sX0: x.s0,
    sX1: x.s1,
    sZ0: z.s0,
    sZ1: z.s1,
    vZ1,
    phiX,
    leakedBits,
    secrecyCost,
    correctnessCost,
    length,
  };
  const secretBits = Math.floor(length);
  if (secretBits > 0) return { ok: true, secretBits, terms };
  return {
    ok: false,
    reason: "insufficient_secret_bits",
    message: shortfallMessage(terms, x.rawS1, z.rawS1, entropy),
    terms,
  };
}

// τ_n: the probability that Alice sends n photons (below Eq. 2), for the
// n = 0 and n = 1 the bound needs (n! = 1).
function tau(counts: readonly BasisCounts[], n: 0 | 1): number {
  return counts.reduce(
    (total, c) =>
      total + c.probability * Math.exp(-c.intensity) * c.intensity ** n,
    0,
  );
}

// Eqs. (2) and (3) for one basis, from the counts n_k and their deviation δ:
// n±_k = e^μk / p_k · (n_k ± δ).
function decoyBounds(
  counts: readonly BasisCounts[],
  n: number[],
  delta: number,
): { s0: number; s1: number; rawS1: number } {
  const [mu1, mu2, mu3] = counts.map((c) => c.intensity);
  const scaled = (k: number, sign: 1 | -1) =>
    Math.exp(counts[k].intensity) / counts[k].probability *
    (n[k] + sign * delta);
  const tau0 = tau(counts, 0);
  const s0 = Math.max(
    0,
    tau0 * (mu2 * scaled(2, -1) - mu3 * scaled(1, 1)) / (mu2 - mu3),
  );
  const rawS1 = tau(counts, 1) * mu1 *
    (scaled(1, -1) - scaled(2, 1) -
      (mu2 ** 2 - mu3 ** 2) / mu1 ** 2 * (scaled(0, 1) - s0 / tau0)) /
    (mu1 * (mu2 - mu3) - mu2 ** 2 + mu3 ** 2);
  return { s0, s1: Math.max(0, rawS1), rawS1 };
}

// Eq. (5): the phase error rate of the X single photons is at most the Z
// single photons' bit error rate plus the random-sampling term γ (the
// hypergeometric estimate the paper takes from its Ref. 31).
function phaseErrorBound(
  vZ1: number,
  sZ1: number,
  sX1: number,
  epsSec: number,
): number {
  if (sZ1 <= 0 || sX1 <= 0) return 0.5;
  const b = Math.min(0.5, Math.max(0, vZ1 / sZ1));
  if (b === 0) return 0;
  const [c, d] = [sZ1, sX1];
  const spread = (c + d) * (1 - b) * b / (c * d * Math.LN2);
  const log = Math.log2(
    (c + d) / (c * d * (1 - b) * b) * 21 ** 2 / epsSec ** 2,
  );
  return Math.min(0.5, b + Math.sqrt(spread * Math.max(0, log)));
}

function shortfallMessage(
  terms: FiniteKeyTerms,
  rawSX1: number,
  rawSZ1: number,
  entropy: number,
): string {
  const f = (x: number) =>
    Math.round(x).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const why = rawSX1 <= 0
    ? `the single-photon lower bound s_X,1 (Eq. 3) is ${f(rawSX1)}: ${
      f(terms.nX)
    } X detections leave each decoy count uncertain by ` +
      `δ = ${f(terms.deltaX)}`
    : rawSZ1 <= 0
    ? `the Z-basis single-photon bound s_Z,1 (Eq. 3) is ${f(rawSZ1)}: ${
      f(terms.nZ)
    } Z detections bound no phase error rate`
    : terms.phiX >= 0.5
    ? `the phase error bound φ_X (Eq. 5) reaches 1/2 (v_Z,1/s_Z,1 = ${
      (terms.vZ1 / terms.sZ1).toFixed(3)
    })`
    : `the block's entropy s_X,0 + s_X,1(1 − h(φ_X)) = ${
      f(entropy)
    } bits (φ_X = ${terms.phiX.toFixed(4)}) is less than λ_EC = ${
      f(terms.leakedBits)
    } plus 6·log2(21/ε_sec) + log2(2/ε_cor) = ${
      f(terms.secrecyCost + terms.correctnessCost)
    } bits`;
  return `no secret bits in a block of ${f(terms.nX)} detections: ${why}`;
}

function validateInput(
  input: FiniteKeyInput,
  epsSec: number,
  epsCor: number,
): void {
  if (!(epsSec > 0 && epsSec < 1)) {
    throw new RangeError(`epsSec must be in (0, 1), got ${epsSec}`);
  }
  if (!(epsCor > 0 && epsCor < 1)) {
    throw new RangeError(`epsCor must be in (0, 1), got ${epsCor}`);
  }
  const { counts, leakedBits } = input;
  validateIntensities(
    counts.map((c) => c.intensity),
    counts.map((c) => c.probability),
  );
  for (const [k, c] of counts.entries()) {
    for (const key of ["nX", "mX", "nZ", "mZ"] as const) {
      if (!(c[key] >= 0 && Number.isFinite(c[key]))) {
        throw new RangeError(`counts[${k}].${key} must be >= 0, got ${c[key]}`);
      }
    }
    if (c.mX > c.nX || c.mZ > c.nZ) {
      throw new RangeError(`counts[${k}] has more errors than detections`);
    }
  }
  if (!(leakedBits >= 0 && Number.isFinite(leakedBits))) {
    throw new RangeError(`leakedBits must be >= 0, got ${leakedBits}`);
  }
}

// The bound's conditions on the intensities (μ1 > μ2 + μ3, μ2 > μ3 ≥ 0) and
// their probabilities.
function validateIntensities(
  intensities: readonly number[],
  probabilities: readonly number[],
): void {
  const [mu1, mu2, mu3] = intensities;
  if (
    intensities.length !== 3 || !(mu3 >= 0 && mu2 > mu3 && mu1 > mu2 + mu3) ||
    !Number.isFinite(mu1)
  ) {
    throw new RangeError(
      `intensities must satisfy μ1 > μ2 + μ3, μ2 > μ3 >= 0, got ${intensities}`,
    );
  }
  const total = probabilities.reduce((sum, p) => sum + p, 0);
  if (
    probabilities.length !== 3 || !probabilities.every((p) => p > 0) ||
    Math.abs(total - 1) > 1e-9
  ) {
    throw new RangeError(
      `intensity probabilities must be positive and sum to 1, got ${probabilities}`,
    );
  }
}
