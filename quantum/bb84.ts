/**
 * The BB84 engine: quantum phase, sifting, QBER estimation, Cascade
 * reconciliation, verification and privacy amplification, end to end.
 *
 * Alice is the KMS, Bob the device, Eve an optional intercept-resend
 * attacker. The quantum channel is a classical simulation of the protocol's
 * statistics; the post-processing is the real algorithm a QKD system runs.
 *
 * @module
 */

import { bitsToBytes, type BitString } from "./bits.ts";
import { cascade } from "./cascade.ts";
import {
  type ChannelOptions,
  transmitQubits,
  validateChannelOptions,
} from "./channel.ts";
import {
  binaryEntropy,
  PRIVACY_AMPLIFICATION_MARGIN_BITS,
  QBER_SECURITY_THRESHOLD,
  secretKeyBits,
} from "./entropy.ts";
import { sha256 } from "./hkdf.ts";
import { toeplitzHash, toeplitzSeedBits } from "./privacy_amplification.ts";
import { cryptoWords, Xoshiro128 } from "./random.ts";
import { estimateQber, siftKeys } from "./sifting.ts";

/** Bits of the verification hash disclosed to confirm Alice's and Bob's keys agree. */
export const VERIFICATION_HASH_BITS = 64;

/** Options for {@linkcode simulateBB84}. */
export interface BB84Options extends Partial<ChannelOptions> {
  /**
   * Qubits to send. When absent the engine sizes the run itself from
   * `keyLength` and `expectedQber`, and resizes if a run falls short.
   */
  numBits?: number;
  /** Key bits wanted, a multiple of 8. Default 256. */
  keyLength?: number;
  /** Fraction of sifted bits sacrificed to the QBER estimate. Default 0.2. */
  sampleFraction?: number;
  /** QBER the sizing assumes for the first run. Default `noiseLevel`. */
  expectedQber?: number;
  /** Cascade passes. Default 24. */
  reconciliationPasses?: number;
  /** Most qubits an auto-sized run may use in total. Default 2^22. */
  maxQubits?: number;
}

/** Why a run produced no key. */
export type AbortReason =
  | "qber_above_threshold"
  | "verification_failed"
  | "insufficient_secret_bits";

/** Figures of a run, whether it produced a key or not. */
export interface BB84Stats {
  /** QBER estimated on the public sample. */
  qber: number;
  /** True when the QBER is above {@linkcode QBER_SECURITY_THRESHOLD}. */
  attackDetected: boolean;
  /** Bits left after sifting (last round). */
  siftedBits: number;
  /** Sifted bits compared in public and discarded. */
  sampleSize: number;
  /** Sample bits that disagreed. */
  sampleErrors: number;
  /** Bits that went into reconciliation. */
  reconciledBits: number;
  /** Errors Cascade corrected. */
  correctedErrors: number;
  /** Bits disclosed: Cascade parities plus the verification hash. */
  leakedBits: number;
  /** Secret bits the bound allows after privacy amplification. */
  secretBits: number;
  /** Cascade efficiency f = parities / (n·h(e)) with e the corrected error rate; null without errors. */
  efficiency: number | null;
  /** Qubits sent over all rounds. */
  qubitsUsed: number;
  /** Rounds run (an auto-sized run that falls short runs again, larger). */
  rounds: number;
}

/** A run that produced a key. */
export interface BB84Success extends BB84Stats {
  ok: true;
  /** The key, `keyLength / 8` bytes, identical for Alice and Bob. */
  key: Uint8Array;
}

/** A run that aborted: never a key. */
export interface BB84Abort extends BB84Stats {
  ok: false;
  key: null;
  /** Machine-readable reason. */
  abortReason: AbortReason;
  /** Human-readable reason. */
  message: string;
}

/** The outcome of {@linkcode simulateBB84}. */
export type BB84Result = BB84Success | BB84Abort;

/** Cascade leaks somewhat more than n·h(e); the sizing plans for this much. */
const PLANNED_EFFICIENCY = 1.25;
/** Sizing headroom so one round nearly always suffices. */
const SIZING_HEADROOM = 1.3;
const MAX_ROUNDS = 4;

/**
 * Qubits a run needs for `keyLength` secret bits at `qber`, or Infinity when
 * no length suffices.
 *
 * @example
 * ```ts
 * import { assert, assertEquals } from "@std/assert";
 * import { plannedQubits } from "./bb84.ts";
 *
 * assert(plannedQubits(256, 0.02, 0.2) < 4000);
 * assertEquals(plannedQubits(256, 0.2, 0.2), Infinity);
 * ```
 */
export function plannedQubits(
  keyLength: number,
  qber: number,
  sampleFraction: number,
): number {
  const e = Math.max(qber, 0.005);
  const rate = 1 - (1 + PLANNED_EFFICIENCY) * binaryEntropy(e);
  if (rate <= 0) return Infinity;
  const reconciled = (keyLength + VERIFICATION_HASH_BITS +
    PRIVACY_AMPLIFICATION_MARGIN_BITS) * SIZING_HEADROOM / rate;
  // Half the qubits survive sifting; the sample takes its fraction of those.
  return Math.ceil(reconciled / (0.5 * (1 - sampleFraction)) / 32) * 32;
}

/**
 * Runs BB84 and its post-processing, returning a key or a clear abort.
 *
 * @example
 * ```ts
 * import { assert, assertEquals } from "@std/assert";
 * import { simulateBB84 } from "./bb84.ts";
 *
 * const run = simulateBB84({ noiseLevel: 0.02 });
 * assert(run.ok);
 * assertEquals(run.key?.length, 32);
 * ```
 */
export function simulateBB84(
  options: BB84Options = {},
): BB84Result {
  const {
    keyLength = 256,
    sampleFraction = 0.2,
    noiseLevel = 0,
    maxQubits = 1 << 22,
  } = options;
  if (!Number.isSafeInteger(keyLength) || keyLength < 8 || keyLength % 8) {
    throw new RangeError(
      `keyLength must be a positive multiple of 8, got ${keyLength}`,
    );
  }
  validateChannelOptions({ ...options, numBits: options.numBits ?? 1 });
  const rng = new Xoshiro128();
  const autoSize = options.numBits === undefined;
  let numBits = options.numBits ??
    Math.min(
      maxQubits,
      plannedQubits(
        keyLength,
        options.expectedQber ?? noiseLevel,
        sampleFraction,
      ),
    );
  if (!Number.isFinite(numBits)) numBits = maxQubits;
  let qubitsUsed = 0;
  for (let round = 1;; round++) {
    qubitsUsed += numBits;
    const result = runRound(
      { ...options, numBits, keyLength, sampleFraction },
      rng,
      {
        qubitsUsed,
        rounds: round,
      },
    );
    if (result.ok || result.abortReason === "qber_above_threshold") {
      return result;
    }
    // Like a deployed link, an auto-sized run discards a block that fell
    // short or failed verification and runs a fresh one, larger if short.
    const planned = plannedQubits(keyLength, result.qber, sampleFraction);
    const next = result.abortReason === "verification_failed"
      ? numBits
      : Math.max(numBits * 2, Number.isFinite(planned) ? planned : 0);
    if (
      !autoSize || round >= MAX_ROUNDS || qubitsUsed + next > maxQubits
    ) {
      return result;
    }
    numBits = next;
  }
}

interface RoundOptions extends ChannelOptions {
  keyLength: number;
  sampleFraction: number;
  reconciliationPasses?: number;
}

function runRound(
  options: RoundOptions,
  rng: Xoshiro128,
  totals: { qubitsUsed: number; rounds: number },
): BB84Result {
  const sifted = siftKeys(transmitQubits(options, rng));
  const estimate = estimateQber(sifted, {
    sampleFraction: options.sampleFraction,
  }, rng);
  const stats: BB84Stats = {
    qber: estimate.qber,
    attackDetected: estimate.qber > QBER_SECURITY_THRESHOLD,
    siftedBits: sifted.alice.length,
    sampleSize: estimate.sampleSize,
    sampleErrors: estimate.sampleErrors,
    reconciledBits: estimate.alice.length,
    correctedErrors: 0,
    leakedBits: 0,
    secretBits: 0,
    efficiency: null,
    ...totals,
  };
  if (stats.attackDetected) {
    return abort(
      stats,
      "qber_above_threshold",
      `QBER ${percent(stats.qber)} is above the ${
        percent(QBER_SECURITY_THRESHOLD)
      } threshold: possible eavesdropper, no key`,
    );
  }
  const n = estimate.alice.length;
  // A small sample can show no errors on a noisy channel; blocks sized for
  // QBER 0 would leave errors behind, so plan with the Laplace estimate.
  const plannedQber = (estimate.sampleErrors + 1) / (estimate.sampleSize + 2);
  const reconciled = cascade(estimate.alice, estimate.bob, {
    qber: Math.max(estimate.qber, plannedQber),
    passes: options.reconciliationPasses,
  }, rng);
  const errorRate = n === 0 ? 0 : reconciled.correctedErrors / n;
  stats.correctedErrors = reconciled.correctedErrors;
  stats.leakedBits = reconciled.leakedBits + VERIFICATION_HASH_BITS;
  stats.efficiency = reconciled.correctedErrors === 0
    ? null
    : reconciled.leakedBits / (n * binaryEntropy(errorRate));

  if (!sameDigest(estimate.alice, reconciled.corrected)) {
    return abort(
      stats,
      "verification_failed",
      "keys still differ after reconciliation: block discarded, no key",
    );
  }
  stats.secretBits = secretKeyBits({
    reconciledBits: n,
    qber: Math.max(estimate.qber, errorRate),
    leakedBits: stats.leakedBits,
  });
  if (stats.secretBits < options.keyLength) {
    return abort(
      stats,
      "insufficient_secret_bits",
      `only ${stats.secretBits} secret bits for a ${options.keyLength}-bit key`,
    );
  }
  // The Toeplitz seed is public; both sides hash their (equal) keys with it.
  const seed = cryptoWords(
    Math.ceil(toeplitzSeedBits(n, options.keyLength) / 32),
  );
  const aliceKey = toeplitzHash(estimate.alice, options.keyLength, seed);
  const bobKey = toeplitzHash(reconciled.corrected, options.keyLength, seed);
  if (!aliceKey.every((word, i) => word === bobKey[i])) {
    return abort(stats, "verification_failed", "amplified keys differ: no key");
  }
  return {
    ...stats,
    ok: true,
    key: bitsToBytes(aliceKey, options.keyLength / 8),
  };
}

/** Compares the first 64 bits of each side's SHA-256, as sent in public. */
function sameDigest(a: BitString, b: BitString): boolean {
  const bytes = Math.ceil(a.length / 8);
  const da = sha256(bitsToBytes(a.words, bytes));
  const db = sha256(bitsToBytes(b.words, bytes));
  return da.subarray(0, VERIFICATION_HASH_BITS / 8).every((x, i) =>
    x === db[i]
  );
}

function abort(
  stats: BB84Stats,
  abortReason: AbortReason,
  message: string,
): BB84Abort {
  return { ...stats, ok: false, key: null, abortReason, message };
}

function percent(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}
