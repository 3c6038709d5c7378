/**
 * The asymptotic secret key rate of decoy-state BB84 with weak coherent
 * pulses, and the decoy-state estimates of the single-photon yield and error
 * rate that it rests on.
 *
 * The key rate is the GLLP formula (Gottesman, Lo, Lütkenhaus, Preskill,
 * Quantum Inf. Comput. 4, 325 (2004)) as used for decoy states by Lo, Ma and
 * Chen, PRL 94, 230504 (2005):
 *
 *   R = q·{−Q_μ·f·h(E_μ) + Q_1·[1 − h(e_1)]},  q = 1/2 for BB84's sifting.
 *
 * Q_1 and e_1 come either exactly from the channel model (the "infinite
 * decoy" bound of Lo–Ma–Chen) or from the vacuum + weak decoy lower bounds of
 * Ma, Qi, Zhao and Lo, PRA 72, 012326 (2005), Eqs. (34) and (37). The channel
 * model is theirs too (Eqs. 4–11): a classical model of a lossy fibre and a
 * threshold detector, not hardware.
 *
 * @module
 */

import { binaryEntropy } from "./entropy.ts";

/** Error rate of a background (dark) count: a fair coin. */
const E0 = 0.5;
/** BB84's sifting keeps half the detections (q in the GLLP formula). */
const SIFTING_FACTOR = 0.5;
const GOLDEN = (Math.sqrt(5) - 1) / 2;
/** Default f: Lim, Curty, Walenta, Xu, Zbinden, PRA 89, 022307 (2014). */
const DEFAULT_RECONCILIATION_EFFICIENCY = 1.16;

/** A fibre link with weak coherent pulses and a threshold detector. */
export interface DecoyLinkParams {
  /** Fibre length in km. */
  distanceKm: number;
  /** Fibre attenuation α in dB/km. Default 0.2. */
  attenuationDbPerKm?: number;
  /** Fixed loss inside Bob's apparatus in dB. Default 0. */
  bobLossDb?: number;
  /** Bob's detection efficiency, 0..1. */
  detectorEfficiency: number;
  /** Background count probability per pulse, Y_0. */
  darkCountProbability: number;
  /** Probability e_detector that a detected photon hits the wrong detector. */
  misalignmentError: number;
  /**
   * Error-correction inefficiency f(E_μ) ≥ 1. Default 1.16, the value of Lim,
   * Curty, Walenta, Xu and Zbinden, PRA 89, 022307 (2014).
   */
  reconciliationEfficiency?: number;
  /** Signal intensity μ; when absent, the rate is maximised over 0.01..1.5. */
  mu?: number;
  /** Weak decoy intensity ν, below μ. Default 0.1. */
  nu?: number;
  /**
   * `"vacuum+weak"` (default): the practical bounds of Ma et al. 2005 from a
   * vacuum and a weak decoy; `"infinite"`: Y_1 and e_1 exact from the model,
   * the limit of infinitely many decoys (Lo–Ma–Chen 2005).
   */
  estimate?: "vacuum+weak" | "infinite";
}

/** Gain and QBER of one intensity, as measured or as the model predicts. */
export interface IntensityRates {
  /** Detections per pulse sent, Q. */
  gain: number;
  /** Errors per sifted detection, E. */
  qber: number;
}

/** What Alice and Bob observe per intensity: the decoy method's input. */
export interface DecoyMeasurement {
  /** Signal intensity μ. */
  mu: number;
  /** Weak decoy intensity ν (0 < ν < μ). */
  nu: number;
  signal: IntensityRates;
  weak: IntensityRates;
  /** Gain of the vacuum decoy: the background yield Y_0. */
  vacuumGain: number;
}

/** Single-photon bounds and the key rate they give. */
export interface DecoyEstimate {
  /** Lower bound on the single-photon yield Y_1 (may be ≤ 0 under attack). */
  y1: number;
  /** Lower bound on the single-photon gain Q_1 = Y_1·μ·e^−μ. */
  q1: number;
  /** Upper bound on the single-photon error rate e_1, clamped to 0..0.5. */
  e1: number;
  /** Secret key bits per pulse sent, R ≥ 0. */
  rate: number;
}

/** The key rate at an operating point, with the quantities behind it. */
export interface DecoyKeyRate extends DecoyEstimate {
  /** Signal intensity used (given, or the optimum found). */
  mu: number;
  /** Overall transmittance η (fibre, Bob's loss, detector). */
  eta: number;
  /** Signal gain Q_μ and QBER E_μ. */
  signal: IntensityRates;
}

/**
 * Overall transmittance η = η_D · 10^(−(αL + Bob's loss)/10).
 *
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { transmittance } from "./decoy.ts";
 *
 * const eta = transmittance({
 *   distanceKm: 50,
 *   detectorEfficiency: 0.1,
 *   darkCountProbability: 0,
 *   misalignmentError: 0,
 * });
 * assertAlmostEquals(eta, 0.01); // 10 dB of fibre at 0.2 dB/km
 * ```
 */
export function transmittance(params: DecoyLinkParams): number {
  const { distanceKm, attenuationDbPerKm = 0.2, bobLossDb = 0 } = params;
  const lossDb = attenuationDbPerKm * distanceKm + bobLossDb;
  return params.detectorEfficiency * 10 ** (-lossDb / 10);
}

/**
 * The model's gain and QBER for pulses of intensity `intensity` (Ma et al.
 * 2005, Eqs. 10–11): Q = Y_0 + 1 − e^−ημ, E·Q = e_0·Y_0 + e_d·(1 − e^−ημ).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { expectedRates } from "./decoy.ts";
 *
 * const link = {
 *   distanceKm: 0,
 *   detectorEfficiency: 1,
 *   darkCountProbability: 0.01,
 *   misalignmentError: 0,
 * };
 * assertEquals(expectedRates(link, 0), { gain: 0.01, qber: 0.5 });
 * ```
 */
export function expectedRates(
  params: DecoyLinkParams,
  intensity: number,
): IntensityRates {
  const y0 = params.darkCountProbability;
  const signalClicks = -Math.expm1(-transmittance(params) * intensity);
  const gain = y0 + signalClicks;
  const errors = E0 * y0 + params.misalignmentError * signalClicks;
  return { gain, qber: gain > 0 ? errors / gain : 0 };
}

/**
 * q·{−Q_μ·f·h(E_μ) + Q_1·[1 − h(e_1)]} before flooring at 0: the search for
 * the best μ needs its slope where the rate is still negative.
 */
function gllpUnfloored(
  signal: IntensityRates,
  q1: number,
  e1: number,
  f: number,
): number {
  return SIFTING_FACTOR *
    (-signal.gain * f * binaryEntropy(signal.qber) +
      Math.max(0, q1) * (1 - binaryEntropy(e1)));
}

/**
 * The vacuum + weak decoy bounds of Ma, Qi, Zhao, Lo, PRA 72, 012326 (2005),
 * Eq. (34) for Y_1 and Eq. (37) for e_1, from measured gains and QBERs, and
 * the GLLP key rate they give with reconciliation inefficiency `f`.
 *
 * A photon-number-splitting attack shows here and not in the QBER: Eve's
 * blocking of single photons lowers the weak decoy's gain relative to the
 * signal's, and the Y_1 bound falls to zero.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { estimateDecoy } from "./decoy.ts";
 *
 * const honest = estimateDecoy({
 *   mu: 0.5,
 *   nu: 0.1,
 *   signal: { gain: 4.9e-3, qber: 0.034 },
 *   weak: { gain: 1.0e-3, qber: 0.041 },
 *   vacuumGain: 1.7e-6,
 * });
 * assert(honest.y1 > 0.009 && honest.rate > 0);
 * ```
 */
export function estimateDecoy(
  measured: DecoyMeasurement,
  f = DEFAULT_RECONCILIATION_EFFICIENCY,
): DecoyEstimate {
  const { mu, nu, signal, weak, vacuumGain: y0 } = measured;
  if (!(nu > 0 && nu < mu)) {
    throw new RangeError(`the weak decoy needs 0 < nu < mu, got ${nu}, ${mu}`);
  }
  const y1 = (mu / (mu * nu - nu * nu)) *
    (weak.gain * Math.exp(nu) -
      signal.gain * Math.exp(mu) * (nu * nu) / (mu * mu) -
      ((mu * mu - nu * nu) / (mu * mu)) * y0);
  const q1 = y1 * mu * Math.exp(-mu);
  const e1 = y1 > 0
    ? Math.min(
      E0,
      Math.max(0, (weak.qber * weak.gain * Math.exp(nu) - E0 * y0) / (y1 * nu)),
    )
    : E0;
  return {
    y1,
    q1,
    e1,
    rate: y1 > 0 ? Math.max(0, gllpUnfloored(signal, q1, e1, f)) : 0,
  };
}

function rateAt(params: DecoyLinkParams, mu: number): DecoyKeyRate {
  const f = params.reconciliationEfficiency ??
    DEFAULT_RECONCILIATION_EFFICIENCY;
  const eta = transmittance(params);
  const signal = expectedRates(params, mu);
  if (params.estimate === "infinite") {
    const y0 = params.darkCountProbability;
    const y1 = y0 + eta;
    const e1 = (E0 * y0 + params.misalignmentError * eta) / y1;
    const q1 = y1 * mu * Math.exp(-mu);
    return {
      mu,
      eta,
      signal,
      y1,
      q1,
      e1,
      rate: Math.max(0, gllpUnfloored(signal, q1, e1, f)),
    };
  }
  const nu = params.nu ?? 0.1;
  const estimate = estimateDecoy({
    mu,
    nu,
    signal,
    weak: expectedRates(params, nu),
    vacuumGain: params.darkCountProbability,
  }, f);
  return { mu, eta, signal, ...estimate };
}

function unfloored(params: DecoyLinkParams, mu: number): number {
  const { signal, q1, e1 } = rateAt(params, mu);
  return gllpUnfloored(
    signal,
    q1,
    e1,
    params.reconciliationEfficiency ?? DEFAULT_RECONCILIATION_EFFICIENCY,
  );
}

/**
 * Asymptotic secret key bits per pulse of decoy-state BB84 (GLLP with the
 * decoy estimates of Lo–Ma–Chen 2005 or Ma et al. 2005, see the module doc),
 * at the given μ or at the μ in 0.01..1.5 that maximises it (golden-section
 * search; with a weak decoy, μ stays above ν).
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { decoyKeyRate } from "./decoy.ts";
 *
 * const link = {
 *   distanceKm: 50,
 *   detectorEfficiency: 0.1,
 *   darkCountProbability: 1e-6,
 *   misalignmentError: 0.01,
 * };
 * const best = decoyKeyRate(link);
 * assert(best.rate > 0 && best.mu > 0.1 && best.mu < 1);
 * assert(decoyKeyRate({ ...link, mu: 1.4 }).rate < best.rate);
 * assert(decoyKeyRate({ ...link, distanceKm: 400 }).rate === 0);
 * ```
 */
export function decoyKeyRate(params: DecoyLinkParams): DecoyKeyRate {
  validateLink(params);
  if (params.mu !== undefined) return rateAt(params, params.mu);
  let lo = params.estimate === "infinite" ? 0.01 : (params.nu ?? 0.1) + 1e-3;
  let hi = 1.5;
  let a = hi - GOLDEN * (hi - lo), b = lo + GOLDEN * (hi - lo);
  let fa = unfloored(params, a), fb = unfloored(params, b);
  while (hi - lo > 1e-5) {
    if (fa < fb) {
      lo = a;
      a = b;
      fa = fb;
      b = lo + GOLDEN * (hi - lo);
      fb = unfloored(params, b);
    } else {
      hi = b;
      b = a;
      fb = fa;
      a = hi - GOLDEN * (hi - lo);
      fa = unfloored(params, a);
    }
  }
  return rateAt(params, (lo + hi) / 2);
}

/**
 * The longest fibre with a positive key rate, in km (bisection to 0.01 km
 * over 0..1000 km, μ optimised at each length unless given).
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { decoyCutoffKm } from "./decoy.ts";
 *
 * const km = decoyCutoffKm({
 *   detectorEfficiency: 0.1,
 *   darkCountProbability: 1e-6,
 *   misalignmentError: 0.01,
 * });
 * assert(km > 100 && km < 250);
 * ```
 */
export function decoyCutoffKm(
  params: Omit<DecoyLinkParams, "distanceKm">,
): number {
  let lo = 0, hi = 1000;
  if (decoyKeyRate({ ...params, distanceKm: lo }).rate === 0) return 0;
  while (hi - lo > 0.01) {
    const mid = (lo + hi) / 2;
    if (decoyKeyRate({ ...params, distanceKm: mid }).rate > 0) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** Checks a link's parameters, throwing a RangeError that names the bad one. */
export function validateLink(params: DecoyLinkParams): void {
  const checks: [string, number | undefined, number, number][] = [
    ["distanceKm", params.distanceKm, 0, Infinity],
    ["attenuationDbPerKm", params.attenuationDbPerKm, 0, Infinity],
    ["bobLossDb", params.bobLossDb, 0, Infinity],
    ["detectorEfficiency", params.detectorEfficiency, 0, 1],
    ["darkCountProbability", params.darkCountProbability, 0, 1],
    ["misalignmentError", params.misalignmentError, 0, 0.5],
    ["reconciliationEfficiency", params.reconciliationEfficiency, 1, Infinity],
    ["mu", params.mu, 0, Infinity],
    ["nu", params.nu, 0, Infinity],
  ];
  for (const [name, value, min, max] of checks) {
    if (value !== undefined && !(value >= min && value <= max)) {
      throw new RangeError(`${name} must be in ${min}..${max}, got ${value}`);
    }
  }
}
