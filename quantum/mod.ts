/**
 * The BB84 quantum key distribution engine and its post-processing: pure
 * code, no I/O. The quantum channel is a classical simulation, and so is the
 * decoy-state weak-coherent-pulse link with its key-rate model; HKDF, ML-KEM
 * and the post-processing algorithms are real.
 *
 * @example
 * ```ts
 * import { assert, assertEquals } from "@std/assert";
 * import { QBER_SECURITY_THRESHOLD, simulateBB84 } from "./mod.ts";
 *
 * const run = simulateBB84({ evePresent: true });
 * assertEquals(run.ok, false);
 * assert(run.qber > QBER_SECURITY_THRESHOLD);
 * ```
 *
 * @module
 */

export * from "./bb84.ts";
export * from "./bits.ts";
export * from "./block_detections.ts";
export * from "./cascade.ts";
export * from "./channel.ts";
export * from "./decoy.ts";
export * from "./entropy.ts";
export * from "./fft.ts";
export * from "./finite_key.ts";
export * from "./finite_key_channel.ts";
export * from "./hkdf.ts";
export * from "./key_derivation.ts";
export * from "./ml_kem.ts";
export * from "./privacy_amplification.ts";
export * from "./pulse_channel.ts";
export * from "./qkd_link.ts";
export * from "./random.ts";
export * from "./sampling.ts";
export * from "./sifting.ts";
