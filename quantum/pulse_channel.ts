/**
 * A weak-coherent-pulse link for decoy-state BB84, simulated pulse by pulse:
 * Alice picks each pulse's intensity (signal μ, weak decoy ν or vacuum),
 * the pulse carries a Poisson number of photons, the fibre and Bob's
 * apparatus lose them, his threshold detector clicks (or counts a dark count,
 * or is blind during its dead time), and misalignment flips some bits. Eve
 * may intercept and resend (rate r) or run the photon-number-splitting (PNS)
 * attack of Brassard, Lütkenhaus, Mor and Sanders, PRL 85, 1330 (2000).
 *
 * This is a classical simulation of the statistics of a fibre QKD link, not
 * hardware; its expected rates are the model of {@linkcode expectedRates}.
 * Only sifted outcomes are drawn: a detection in the wrong basis is counted
 * and discarded, as sifting would. Xoshiro128 drives the physics; Alice's
 * bits, which become key material, come from the CSPRNG.
 *
 * @module
 */

import type { BitString } from "./bits.ts";
import {
  type DecoyLinkParams,
  type DecoyMeasurement,
  transmittance,
  validateLink,
} from "./decoy.ts";
import type { KeyPair } from "./sifting.ts";
import { bernoulliMask, cryptoWords, Xoshiro128 } from "./random.ts";

/** Photon numbers beyond this are folded into it (P < 10^-20 at μ ≤ 1.5). */
const MAX_PHOTONS = 24;
const CHUNK = 1 << 16;
const TWO_32 = 4294967296;

/** How often Alice sends each intensity; the three must sum to 1. */
export interface IntensityMix {
  signal: number;
  weak: number;
  vacuum: number;
}

/** What the pulse simulation needs to know. */
export interface PulseChannelOptions {
  /** Pulses Alice sends. */
  pulses: number;
  /** The link; its `mu` (default 0.5) and `nu` (default 0.1) are the intensities. */
  link: DecoyLinkParams;
  /** Default 80% signal, 15% weak, 5% vacuum. */
  mix?: IntensityMix;
  /** Pulses after a click during which Bob's detector is blind. Default 0. */
  deadTimePulses?: number;
  /** Probability that Eve intercepts and resends a pulse, 0..1. Default 0. */
  interceptRate?: number;
  /** Whether Eve runs the photon-number-splitting attack. Default false. */
  pns?: boolean;
}

/** Counts for one intensity. */
export interface IntensityCounts {
  /** Mean photon number of these pulses. */
  intensity: number;
  sent: number;
  /** Pulses on which Bob's detector clicked, in either basis. */
  detected: number;
  /** Detections where Bob's basis was Alice's. */
  sifted: number;
  /** Sifted detections where Bob's bit differs from Alice's. */
  errors: number;
}

/** What a run of the pulse link leaves Alice and Bob with. */
export interface PulseRun {
  signal: IntensityCounts;
  weak: IntensityCounts;
  vacuum: IntensityCounts;
  /** The sifted bits of the signal pulses: the raw key. */
  signalKey: KeyPair;
}

/** A packed bit string that grows as bits are appended. */
class BitWriter {
  words = new Uint32Array(1024);
  length = 0;

  push(bit: number): void {
    if (this.length >>> 5 >= this.words.length) {
      const grown = new Uint32Array(this.words.length * 2);
      grown.set(this.words);
      this.words = grown;
    }
    this.words[this.length >>> 5] |= bit << (this.length & 31);
    this.length++;
  }

  done(): BitString {
    return {
      words: this.words.slice(0, (this.length + 31) >>> 5),
      length: this.length,
    };
  }
}

function poissonThresholds(mu: number): Float64Array {
  const out = new Float64Array(MAX_PHOTONS + 1);
  let p = Math.exp(-mu), sum = 0;
  for (let n = 0; n < MAX_PHOTONS; n++) {
    sum += p;
    out[n] = sum * TWO_32;
    p *= mu / (n + 1);
  }
  out[MAX_PHOTONS] = Infinity;
  return out;
}

/**
 * Probability that a pulse of n photons leaving Alice makes Bob's detector
 * click, indexed by n up to 24 (photon numbers beyond are folded into 24).
 * Under PNS Eve replaces the fibre by a lossless line, keeps one photon of
 * each multi-photon pulse and forwards the rest, blocking single photons as
 * far as her budget allows: she forwards just enough that the signal's
 * photon gain is the honest 1 − e^−ημ (she cannot tell a decoy from a
 * signal, so the same rule hits every intensity). Closer than where
 * multi-photon pulses alone would match, she also passes single photons.
 *
 * @example
 * ```ts
 * import { assert, assertAlmostEquals } from "@std/assert";
 * import { photonClickProbabilities } from "./pulse_channel.ts";
 *
 * const link = {
 *   distanceKm: 50,
 *   detectorEfficiency: 1,
 *   darkCountProbability: 0,
 *   misalignmentError: 0,
 * };
 * assertAlmostEquals(photonClickProbabilities(link)[1], 0.1); // 10 dB
 * const pns = photonClickProbabilities(link, { pns: true });
 * assert(pns[1] < 1e-9 && pns[2] > 0.1); // singles blocked, pairs favoured
 * ```
 */
export function photonClickProbabilities(
  link: DecoyLinkParams,
  options: { pns?: boolean } = {},
): Float64Array {
  const eta = transmittance(link);
  const out = new Float64Array(MAX_PHOTONS + 1);
  if (!options.pns) {
    for (let n = 1; n <= MAX_PHOTONS; n++) {
      out[n] = -Math.expm1(n * Math.log1p(-eta));
    }
    return out;
  }
  const mu = link.mu ?? 0.5;
  const etaBob = transmittance({ ...link, distanceKm: 0 });
  const target = -Math.expm1(-eta * mu);
  let multi = 0;
  for (let n = 2; n <= MAX_PHOTONS; n++) {
    out[n] = -Math.expm1((n - 1) * Math.log1p(-etaBob));
    multi += poissonProbability(mu, n) * out[n];
  }
  if (multi >= target) {
    for (let n = 2; n <= MAX_PHOTONS; n++) out[n] *= target / multi;
  } else {
    out[1] =
      Math.min(1, (target - multi) / (poissonProbability(mu, 1) * etaBob)) *
      etaBob;
  }
  return out;
}

/**
 * Probability that a pulse of mean photon number `mu` carries `n` photons.
 *
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { poissonProbability } from "./pulse_channel.ts";
 *
 * assertAlmostEquals(poissonProbability(0.5, 0), Math.exp(-0.5));
 * ```
 */
export function poissonProbability(mu: number, n: number): number {
  if (mu === 0) return n === 0 ? 1 : 0;
  return Math.exp(-mu + n * Math.log(mu) - logFactorial(n));
}

function logFactorial(n: number): number {
  let sum = 0;
  for (let k = 2; k <= n; k++) sum += Math.log(k);
  return sum;
}

/**
 * Sends `options.pulses` weak coherent pulses through the link and counts,
 * per intensity, what Bob detected and how many sifted bits were wrong.
 *
 * @example
 * ```ts
 * import { assert, assertEquals } from "@std/assert";
 * import { simulatePulses } from "./pulse_channel.ts";
 *
 * const run = simulatePulses({
 *   pulses: 100_000,
 *   link: {
 *     distanceKm: 25,
 *     detectorEfficiency: 0.2,
 *     darkCountProbability: 1e-5,
 *     misalignmentError: 0.01,
 *   },
 * });
 * assertEquals(run.signal.sent + run.weak.sent + run.vacuum.sent, 100_000);
 * assert(run.signal.detected > run.weak.detected);
 * assertEquals(run.signalKey.alice.length, run.signal.sifted);
 * ```
 */
export function simulatePulses(
  options: PulseChannelOptions,
  rng: Xoshiro128 = new Xoshiro128(),
): PulseRun {
  validatePulseOptions(options);
  const { pulses, link, deadTimePulses = 0, interceptRate = 0 } = options;
  const mix = options.mix ?? { signal: 0.8, weak: 0.15, vacuum: 0.05 };
  const mu = link.mu ?? 0.5, nu = link.nu ?? 0.1;
  // Typed counters per intensity keep the hot loop monomorphic.
  const sent = new Float64Array(3), detected = new Float64Array(3);
  const sifted = new Float64Array(3), errors = new Float64Array(3);
  const photonTables = [poissonThresholds(mu), poissonThresholds(nu)];
  const click = photonClickProbabilities(link, options).map((p) => p * TWO_32);
  const signalCut = mix.signal * TWO_32;
  const weakCut = (mix.signal + mix.weak) * TWO_32;
  const alice = new BitWriter(), bob = new BitWriter();
  const classDraw = new Uint32Array(CHUNK);
  const photonDraw = new Uint32Array(CHUNK);
  const clickDraw = new Uint32Array(CHUNK);
  const coins = new Uint32Array(CHUNK >>> 5);
  const sifts = new Uint32Array(CHUNK >>> 5);
  const eveWrong = new Uint32Array(CHUNK >>> 5);
  let blindUntil = 0;

  for (let start = 0; start < pulses; start += CHUNK) {
    const size = Math.min(CHUNK, pulses - start);
    rng.fill(classDraw);
    rng.fill(photonDraw);
    rng.fill(clickDraw);
    rng.fill(coins);
    rng.fill(sifts);
    rng.fill(eveWrong);
    const dark = bernoulliMask(size, link.darkCountProbability, rng);
    const misaligned = bernoulliMask(size, link.misalignmentError, rng);
    const intercepted = bernoulliMask(size, interceptRate, rng);
    const aliceBits = cryptoWords((size + 31) >>> 5);
    for (let i = 0; i < size; i++) {
      const u = classDraw[i];
      const c = u < signalCut ? 0 : u < weakCut ? 1 : 2;
      sent[c]++;
      if (start + i < blindUntil) continue;
      let n = 0;
      if (c < 2) {
        const table = photonTables[c], v = photonDraw[i];
        while (v >= table[n]) n++;
      }
      const w = i >>> 5, bit = 1 << (i & 31);
      const photon = n > 0 && clickDraw[i] < click[n];
      if (!photon && (dark[w] & bit) === 0) continue;
      detected[c]++;
      blindUntil = start + i + 1 + deadTimePulses;
      if ((sifts[w] & bit) === 0) continue;
      sifted[c]++;
      // A dark count, or a photon Eve resent in the other basis, reads as a
      // fair coin in Bob's basis; otherwise only misalignment flips it.
      const coin = !photon || (intercepted[w] & eveWrong[w] & bit) !== 0;
      const error = ((coin ? coins[w] : misaligned[w]) & bit) !== 0 ? 1 : 0;
      errors[c] += error;
      if (c === 0) {
        const a = (aliceBits[w] >>> (i & 31)) & 1;
        alice.push(a);
        bob.push(a ^ error);
      }
    }
  }
  const counts = (c: number, intensity: number): IntensityCounts => ({
    intensity,
    sent: sent[c],
    detected: detected[c],
    sifted: sifted[c],
    errors: errors[c],
  });
  return {
    signal: counts(0, mu),
    weak: counts(1, nu),
    vacuum: counts(2, 0),
    signalKey: { alice: alice.done(), bob: bob.done() },
  };
}

/**
 * The gains and QBERs of a run, as the decoy estimate takes them.
 *
 * @example
 * ```ts
 * import { assert } from "@std/assert";
 * import { estimateDecoy } from "./decoy.ts";
 * import { measuredRates, simulatePulses } from "./pulse_channel.ts";
 *
 * const link = {
 *   distanceKm: 10,
 *   detectorEfficiency: 0.5,
 *   darkCountProbability: 1e-4,
 *   misalignmentError: 0.01,
 * };
 * const measured = measuredRates(simulatePulses({ pulses: 1 << 20, link }));
 * assert(estimateDecoy(measured).rate > 0);
 * ```
 */
export function measuredRates(run: PulseRun): DecoyMeasurement {
  const rates = (c: IntensityCounts) => ({
    gain: c.detected / c.sent,
    qber: c.sifted > 0 ? c.errors / c.sifted : 0,
  });
  return {
    mu: run.signal.intensity,
    nu: run.weak.intensity,
    signal: rates(run.signal),
    weak: rates(run.weak),
    vacuumGain: run.vacuum.detected / run.vacuum.sent,
  };
}

/** Checks pulse options, throwing a RangeError that names the bad one. */
export function validatePulseOptions(options: PulseChannelOptions): void {
  const { pulses, mix, deadTimePulses, interceptRate, link } = options;
  validateLink(link);
  if (!Number.isSafeInteger(pulses) || pulses < 1) {
    throw new RangeError(`pulses must be a positive integer, got ${pulses}`);
  }
  if ((link.nu ?? 0.1) >= (link.mu ?? 0.5)) {
    throw new RangeError("the weak decoy nu must be below the signal mu");
  }
  if (
    mix && !([mix.signal, mix.weak, mix.vacuum].every((p) => p >= 0) &&
      Math.abs(mix.signal + mix.weak + mix.vacuum - 1) < 1e-9)
  ) {
    throw new RangeError("mix must be three probabilities summing to 1");
  }
  if (
    deadTimePulses !== undefined &&
    !(Number.isSafeInteger(deadTimePulses) && deadTimePulses >= 0)
  ) {
    throw new RangeError(
      `deadTimePulses must be a non-negative integer, got ${deadTimePulses}`,
    );
  }
  if (
    interceptRate !== undefined && !(interceptRate >= 0 && interceptRate <= 1)
  ) {
    throw new RangeError(`interceptRate must be in 0..1, got ${interceptRate}`);
  }
}
