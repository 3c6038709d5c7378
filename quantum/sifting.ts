/**
 * Sifting and QBER estimation: the public discussion after the quantum phase.
 *
 * @module
 */

import { type BitString, extractBits, popcount32 } from "./bits.ts";
import type { Transmission } from "./channel.ts";
import { Xoshiro128 } from "./random.ts";

/** Alice's and Bob's strings after a public step, the same length. */
export interface KeyPair {
  alice: BitString;
  bob: BitString;
}

/**
 * Keeps the positions where Bob measured in Alice's basis (the bases are
 * announced publicly, the bits are not).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { transmitQubits } from "./channel.ts";
 * import { siftKeys } from "./sifting.ts";
 *
 * const { alice, bob } = siftKeys(transmitQubits({ numBits: 4096 }));
 * assertEquals(alice.length, bob.length);
 * ```
 */
export function siftKeys(transmission: Transmission): KeyPair {
  const { aliceBits, aliceBases, bobBases, bobResults, numBits } = transmission;
  const same = new Uint32Array(aliceBases.length);
  for (let w = 0; w < same.length; w++) {
    same[w] = ~(aliceBases[w] ^ bobBases[w]);
  }
  const [alice, bob] = extractBits(same, [aliceBits, bobResults], numBits);
  return { alice, bob };
}

/** Options for {@linkcode estimateQber}. */
export interface EstimateOptions {
  /** Fraction of sifted bits sacrificed to the estimate. Default 0.2. */
  sampleFraction?: number;
  /** Smallest sample in bits, however short the sifted key. Default 10. */
  minSample?: number;
}

/** The QBER estimate and the key bits that remain after the sample. */
export interface QberEstimate extends KeyPair {
  /** Estimated quantum bit error rate: sampleErrors / sampleSize. */
  qber: number;
  /** Bits compared in public. */
  sampleSize: number;
  /** How many of them disagreed. */
  sampleErrors: number;
}

/**
 * Compares a random sample of the sifted bits in public, then discards it.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { transmitQubits } from "./channel.ts";
 * import { estimateQber, siftKeys } from "./sifting.ts";
 *
 * const est = estimateQber(siftKeys(transmitQubits({ numBits: 4096 })));
 * assertEquals(est.qber, 0);
 * ```
 */
export function estimateQber(
  sifted: KeyPair,
  options: EstimateOptions = {},
  rng: Xoshiro128 = new Xoshiro128(),
): QberEstimate {
  const { sampleFraction = 0.2, minSample = 10 } = options;
  if (!(sampleFraction > 0 && sampleFraction < 1)) {
    throw new RangeError(
      `sampleFraction must be in (0, 1), got ${sampleFraction}`,
    );
  }
  const n = sifted.alice.length;
  const sampleSize = Math.min(
    n,
    Math.max(minSample, Math.floor(n * sampleFraction)),
  );
  const sample = new Uint32Array((n + 31) >>> 5);
  for (let chosen = 0; chosen < sampleSize;) {
    const i = rng.below(n);
    const bit = 1 << (i & 31);
    if ((sample[i >>> 5] & bit) === 0) {
      sample[i >>> 5] |= bit;
      chosen++;
    }
  }
  const a = sifted.alice.words, b = sifted.bob.words;
  let sampleErrors = 0;
  const keep = new Uint32Array(sample.length);
  for (let w = 0; w < sample.length; w++) {
    sampleErrors += popcount32((a[w] ^ b[w]) & sample[w]);
    keep[w] = ~sample[w];
  }
  const [alice, bob] = extractBits(keep, [a, b], n);
  return {
    qber: sampleSize === 0 ? 0 : sampleErrors / sampleSize,
    sampleSize,
    sampleErrors,
    alice,
    bob,
  };
}
