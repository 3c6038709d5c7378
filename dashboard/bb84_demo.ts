/**
 * A small BB84 exchange laid out for the explainer's tables (the report's
 * chapter 3): the engine's own quantum phase and sifting, position by
 * position. Pure and browser-safe; the explainer runs it in the browser.
 *
 * @module
 */

import { getBit } from "../quantum/bits.ts";
import { transmitQubits } from "../quantum/channel.ts";
import { siftKeys } from "../quantum/sifting.ts";

/** Fewest qubits the explainer sends. */
export const MIN_DEMO_QUBITS = 16;
/** Most qubits the explainer sends: one packed word, easy to read. */
export const MAX_DEMO_QUBITS = 32;

/** `+` rectilinear, `×` diagonal. */
export type Basis = "+" | "×";

/** A prepared or measured qubit: a basis and a bit. */
export interface Qubit {
  /** The basis. */
  basis: Basis;
  /** The bit, 0 or 1. */
  bit: number;
}

/** One position of the exchange. */
export interface DemoPosition {
  /** What Alice sent. */
  alice: Qubit;
  /** What Bob measured: his basis and his result. */
  bob: Qubit;
  /** Whether the bases matched, so the position survives sifting. */
  kept: boolean;
  /** Whether a kept position's bits differ (an error); false when not kept. */
  error: boolean;
}

/** A whole explainer run. */
export interface Bb84Demo {
  /** Whether Eve intercepted every qubit. */
  eve: boolean;
  /** The positions, first sent first. */
  positions: DemoPosition[];
  /** Alice's sifted key as 0/1 characters (the engine's `siftKeys`). */
  siftedAlice: string;
  /** Bob's sifted key. */
  siftedBob: string;
  /** Kept positions whose bits differ. */
  errors: number;
  /** errors / kept; `null` when nothing survived sifting. */
  qber: number | null;
}

/**
 * The photon a qubit is: rectilinear 0 ↑ and 1 →, diagonal 0 ↗ and 1 ↘ (the
 * report's table).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { photon } from "./bb84_demo.ts";
 * assertEquals(photon({ basis: "×", bit: 1 }), "↘");
 * ```
 */
export function photon(qubit: Qubit): string {
  return qubit.basis === "+"
    ? (qubit.bit ? "→" : "↑")
    : (qubit.bit ? "↘" : "↗");
}

function bitString(words: Uint32Array, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += getBit(words, i);
  return out;
}

/**
 * Runs the quantum phase for `qubits` qubits (16 to 32), with or without
 * Eve's intercept-resend attack on every qubit, on a noiseless channel, and
 * sifts. Every kept bit is compared here; the KMS compares a 20% sample of
 * thousands.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { runBb84Demo } from "./bb84_demo.ts";
 *
 * const demo = runBb84Demo({ qubits: 16, eve: false });
 * assertEquals([demo.positions.length, demo.errors], [16, 0]);
 * ```
 */
export function runBb84Demo(
  options: { qubits: number; eve: boolean },
): Bb84Demo {
  const { qubits, eve } = options;
  if (
    !Number.isInteger(qubits) || qubits < MIN_DEMO_QUBITS ||
    qubits > MAX_DEMO_QUBITS
  ) {
    throw new RangeError(
      `qubits must be ${MIN_DEMO_QUBITS}..${MAX_DEMO_QUBITS}, got ${qubits}`,
    );
  }
  const sent = transmitQubits({ numBits: qubits, evePresent: eve });
  const basis = (words: Uint32Array, i: number): Basis =>
    getBit(words, i) ? "×" : "+";
  const positions: DemoPosition[] = [];
  for (let i = 0; i < qubits; i++) {
    const alice = {
      basis: basis(sent.aliceBases, i),
      bit: getBit(sent.aliceBits, i),
    };
    const bob = {
      basis: basis(sent.bobBases, i),
      bit: getBit(sent.bobResults, i),
    };
    const kept = alice.basis === bob.basis;
    positions.push({ alice, bob, kept, error: kept && alice.bit !== bob.bit });
  }
  const sifted = siftKeys(sent);
  const errors = positions.filter((p) => p.error).length;
  return {
    eve,
    positions,
    siftedAlice: bitString(sifted.alice.words, sifted.alice.length),
    siftedBob: bitString(sifted.bob.words, sifted.bob.length),
    errors,
    qber: sifted.alice.length === 0 ? null : errors / sifted.alice.length,
  };
}
