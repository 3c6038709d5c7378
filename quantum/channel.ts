/**
 * The simulated quantum channel of BB84: Alice prepares, Eve may intercept
 * and resend, the fibre flips bits, Bob measures.
 *
 * This is a classical simulation of the protocol's statistics, not quantum
 * hardware. Each qubit is a (bit, basis) pair; basis 0 is rectilinear (+),
 * basis 1 diagonal (×). Bit-slicing handles 32 qubits per word operation.
 *
 * @module
 */

import { clearTail } from "./bits.ts";
import { bernoulliMask, cryptoWords, Xoshiro128 } from "./random.ts";

/** What the channel simulation needs to know. */
export interface ChannelOptions {
  /** Qubits Alice sends. */
  numBits: number;
  /** Whether Eve runs an intercept-resend attack. Default false. */
  evePresent?: boolean;
  /** Probability that Eve intercepts a given qubit, 0..1. Default 1 with Eve. */
  eveInterceptRate?: number;
  /** Probability that the channel flips a qubit's bit, 0..0.5. Default 0. */
  noiseLevel?: number;
}

/** Everything each party holds after the quantum phase, packed 32 per word. */
export interface Transmission {
  /** Qubits sent. */
  numBits: number;
  /** Alice's bits (CSPRNG: they become key material). */
  aliceBits: Uint32Array;
  aliceBases: Uint32Array;
  bobBases: Uint32Array;
  bobResults: Uint32Array;
}

/** Checks channel options, throwing a RangeError that names the bad one. */
export function validateChannelOptions(options: ChannelOptions): void {
  const { numBits, eveInterceptRate, noiseLevel } = options;
  if (!Number.isSafeInteger(numBits) || numBits < 1) {
    throw new RangeError(`numBits must be a positive integer, got ${numBits}`);
  }
  if (
    eveInterceptRate !== undefined &&
    !(eveInterceptRate >= 0 && eveInterceptRate <= 1)
  ) {
    throw new RangeError(
      `eveInterceptRate must be in 0..1, got ${eveInterceptRate}`,
    );
  }
  if (noiseLevel !== undefined && !(noiseLevel >= 0 && noiseLevel <= 0.5)) {
    throw new RangeError(`noiseLevel must be in 0..0.5, got ${noiseLevel}`);
  }
}

/**
 * Runs the quantum phase for `options.numBits` qubits.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { transmitQubits } from "./channel.ts";
 *
 * const t = transmitQubits({ numBits: 1024, noiseLevel: 0.02 });
 * assertEquals(t.bobResults.length, 1024 / 32);
 * ```
 */
export function transmitQubits(
  options: ChannelOptions,
  rng: Xoshiro128 = new Xoshiro128(),
): Transmission {
  validateChannelOptions(options);
  const { numBits, evePresent = false, noiseLevel = 0 } = options;
  const interceptRate = evePresent ? options.eveInterceptRate ?? 1 : 0;
  const nWords = (numBits + 31) >>> 5;

  const aliceBits = cryptoWords(nWords);
  const aliceBases = rng.fill(new Uint32Array(nWords));
  const bobBases = rng.fill(new Uint32Array(nWords));
  // Outcomes of measurements in a basis other than the photon's are fair coins.
  const bobCoins = rng.fill(new Uint32Array(nWords));
  const noise = bernoulliMask(numBits, noiseLevel, rng);
  const bobResults = new Uint32Array(nWords);

  if (interceptRate > 0) {
    const intercepted = bernoulliMask(numBits, interceptRate, rng);
    const eveBases = rng.fill(new Uint32Array(nWords));
    const eveCoins = rng.fill(new Uint32Array(nWords));
    for (let w = 0; w < nWords; w++) {
      const a = aliceBits[w], ab = aliceBases[w], hit = intercepted[w];
      // Eve measures in her basis and resends what she saw, in her basis.
      const eveWrong = eveBases[w] ^ ab;
      const eveBit = (a & ~eveWrong) | (eveCoins[w] & eveWrong);
      const photonBit = ((eveBit & hit) | (a & ~hit)) ^ noise[w];
      const photonBasis = (eveBases[w] & hit) | (ab & ~hit);
      const bobWrong = bobBases[w] ^ photonBasis;
      bobResults[w] = (photonBit & ~bobWrong) | (bobCoins[w] & bobWrong);
    }
  } else {
    for (let w = 0; w < nWords; w++) {
      const photonBit = aliceBits[w] ^ noise[w];
      const bobWrong = bobBases[w] ^ aliceBases[w];
      bobResults[w] = (photonBit & ~bobWrong) | (bobCoins[w] & bobWrong);
    }
  }
  for (const words of [aliceBits, aliceBases, bobBases, bobResults]) {
    clearTail(words, numBits);
  }
  return { numBits, aliceBits, aliceBases, bobBases, bobResults };
}
