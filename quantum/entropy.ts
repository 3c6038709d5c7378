/**
 * Information-theoretic bounds for BB84 post-processing.
 *
 * @module
 */

/**
 * Binary Shannon entropy h(p) in bits.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { binaryEntropy } from "./entropy.ts";
 *
 * assertEquals(binaryEntropy(0.5), 1);
 * assertEquals(binaryEntropy(0), 0);
 * ```
 */
export function binaryEntropy(p: number): number {
  if (p <= 0 || p >= 1) return 0;
  return -p * Math.log2(p) - (1 - p) * Math.log2(1 - p);
}

/**
 * QBER above which a BB84 run aborts: where the secret fraction
 * 1 - 2·h(QBER) reaches zero. The link policy's RED threshold is this value.
 */
export const QBER_SECURITY_THRESHOLD = 0.11;

/** Security parameter of privacy amplification: ε = 2^-32. */
export const PRIVACY_AMPLIFICATION_MARGIN_BITS = 64;

/** Inputs to {@linkcode secretKeyBits}. */
export interface SecretBitsInput {
  /** Reconciled key bits. */
  reconciledBits: number;
  /** Error rate used for Eve's information (phase errors assumed equal to bit errors). */
  qber: number;
  /** Bits disclosed during reconciliation and verification. */
  leakedBits: number;
}

/**
 * Secret bits extractable from a reconciled key by the Shor-Preskill bound,
 * n·(1 - h(e)) - leak - 2·log2(1/ε). With leak = n·h(e) this is n·(1 - 2h(e)),
 * which reaches zero at e ≈ 11%: the origin of the 11% threshold.
 *
 * This is the asymptotic bound applied to one block, the usual choice for a
 * simulation; a deployed system would use a finite-key bound.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { secretKeyBits } from "./entropy.ts";
 *
 * assertEquals(
 *   secretKeyBits({ reconciledBits: 1000, qber: 0, leakedBits: 100 }),
 *   836,
 * );
 * ```
 */
export function secretKeyBits(input: SecretBitsInput): number {
  const { reconciledBits: n, qber, leakedBits } = input;
  const bits = n * (1 - binaryEntropy(qber)) - leakedBits -
    PRIVACY_AMPLIFICATION_MARGIN_BITS;
  return Math.max(0, Math.floor(bits));
}
