/**
 * A block of the simulated link in words, for the analyst: its outcome,
 * its decoy estimates beside an honest block's at the same settings, and
 * the demo's simulated attack.
 *
 * The outcome sentence reads only what an analyst could measure (QBER,
 * detections, decoy estimates, secret bits) and what the model says an
 * honest block shows, never the `eve` field: a real link does not tell its
 * operator who is on the fibre. The `eve` field shows apart, as the attack
 * the KMS's operator switched on for the demo.
 *
 * @module
 */

import type { BlockReport, EveMode } from "../protocol/link_report.ts";
import { RED_THRESHOLD } from "../protocol/link_policy.ts";
import { count, percent, wholePercent } from "./format.ts";
import type { HonestBlock } from "./link_expectation.ts";
import type { Row } from "./link_views.ts";

/**
 * A block whose single-photon estimate s_X,1 (as a share of its detections)
 * falls below this fraction of an honest block's at the same settings
 * (`link_expectation.ts`) has lost single photons. Honest blocks of the
 * demo link measure 93–100% of the expectation (10^4 to 10^6 detections),
 * while a photon-number-splitting attack, which blocks single photons and
 * forwards multi-photon pulses, leaves about 40–50%.
 */
export const SINGLE_PHOTON_SHORTFALL = 0.75;

/**
 * The block's single-photon estimate as a fraction of an honest block's at
 * the same settings; `null` without a decoy estimate or an expectation.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { singlePhotonRatio } from "./block_outcome.ts";
 * import { SAMPLE_BLOCK } from "../protocol/_test_link_report.ts";
 *
 * const honest = { qber: 0.02, singlePhotonDetectionsLower: 640_000, phaseErrorUpper: 0.045, secretBits: 3e5 };
 * const decoy = { ...SAMPLE_BLOCK.decoy!, single_photon_detections_lower: 320_000 };
 * assertEquals(singlePhotonRatio({ ...SAMPLE_BLOCK, decoy }, honest, 1e6), 0.5);
 * assertEquals(singlePhotonRatio({ ...SAMPLE_BLOCK, decoy: null }, honest, 1e6), null);
 * ```
 */
export function singlePhotonRatio(
  block: BlockReport,
  expected: HonestBlock | null,
  blockSize: number,
): number | null {
  if (!block.decoy || !expected || block.detections === 0) return null;
  const honestShare = expected.singlePhotonDetectionsLower / blockSize;
  if (!(honestShare > 0)) return null;
  return block.decoy.single_photon_detections_lower / block.detections /
    honestShare;
}

/** The honest figures a block is judged against, for {@linkcode outcomeSentence}. */
export interface Expectation {
  /** An honest block at the link's settings, or `null` when unknown. */
  expected: HonestBlock | null;
  /** The link's block size n_X the expectation is for. */
  blockSize: number;
}

function pnsClause(block: BlockReport, honest: Expectation): string | null {
  const ratio = singlePhotonRatio(block, honest.expected, honest.blockSize);
  if (
    ratio === null || ratio >= SINGLE_PHOTON_SHORTFALL ||
    block.qber >= RED_THRESHOLD
  ) return null;
  const expected = honest.expected!.singlePhotonDetectionsLower *
    block.detections / honest.blockSize;
  return `PNS suspected: QBER ${
    percent(block.qber)
  } looks normal but the decoy estimate of single-photon detections fell to ${
    count(block.decoy!.single_photon_detections_lower)
  } (${wholePercent(ratio)} of the ${
    count(expected)
  } an honest link gives at these settings)`;
}

/**
 * The block's outcome in words, from what an analyst measures and what an
 * honest block at the same settings shows.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { outcomeSentence } from "./block_outcome.ts";
 * import { SAMPLE_BLOCK } from "../protocol/_test_link_report.ts";
 *
 * const honest = {
 *   expected: { qber: 0.02, singlePhotonDetectionsLower: 640_000, phaseErrorUpper: 0.045, secretBits: 3e5 },
 *   blockSize: 1e6,
 * };
 * const pns = {
 *   ...SAMPLE_BLOCK,
 *   outcome: "insufficient_secret_bits" as const,
 *   secret_bits: 0,
 *   decoy: { ...SAMPLE_BLOCK.decoy!, single_photon_detections_lower: 0 },
 * };
 * assertEquals(
 *   outcomeSentence(pns, honest),
 *   "PNS suspected: QBER 2.1% looks normal but the decoy estimate of single-photon detections fell to 0 (0% of the 640,000 an honest link gives at these settings): no key.",
 * );
 * ```
 */
export function outcomeSentence(
  block: BlockReport,
  honest: Expectation,
): string {
  const qber = percent(block.qber);
  const pns = pnsClause(block, honest);
  const singlePhotons = count(block.decoy?.single_photon_detections_lower ?? 0);
  switch (block.outcome) {
    case "key":
      return pns
        ? `Key, smaller: ${
          count(block.secret_bits)
        } secret bits to the pool. ${pns}; the finite-key bound (Lim et al. 2014) counts only those, so the smaller key stays secret.`
        : `Key: ${count(block.secret_bits)} secret bits to the pool from ${
          count(block.detections)
        } detections at QBER ${qber} (finite-key bound, Lim et al. 2014).`;
    case "qber_above_threshold":
      return `Eavesdropper or fault suspected: QBER ${qber} is above the ${
        wholePercent(RED_THRESHOLD)
      } threshold: no key.`;
    case "insufficient_secret_bits":
      if (pns) return `${pns}: no key.`;
      return block.decoy === null
        ? `No key: the finite-key bound could not be evaluated on ${
          count(block.detections)
        } detections (QBER ${qber}).`
        : `No key: the finite-key bound (Lim et al. 2014) left no secret bits from ${
          count(block.detections)
        } detections at QBER ${qber}, single-photon estimate ${singlePhotons}.`;
    case "verification_failed":
      return `No key: the keys still differed after error correction (verification hash mismatch) at QBER ${qber}; block discarded.`;
    case "discarded":
      return `Measured, not distilled: the pool was full or the link RED, so the block was discarded after its QBER (${qber}) and decoy estimates${
        pns ? `. ${pns}` : ""
      }.`;
  }
}

/**
 * The block's decoy estimates as rows; empty when the bound could not be
 * evaluated.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { decoyRows } from "./block_outcome.ts";
 * import { SAMPLE_BLOCK } from "../protocol/_test_link_report.ts";
 *
 * const honest = {
 *   expected: { qber: 0.02, singlePhotonDetectionsLower: 640_000, phaseErrorUpper: 0.045, secretBits: 3e5 },
 *   blockSize: 1e6,
 * };
 * const rows = decoyRows(SAMPLE_BLOCK, honest);
 * assertEquals(rows[1], {
 *   label: "Single-photon detections s_X,1 ≥",
 *   value: "640,000 (64.0% of n_X)",
 * });
 * assertEquals(rows[3], {
 *   label: "An honest block here (model)",
 *   value: "s_X,1 ≥ 640,000 · φ_X ≤ 4.5%",
 * });
 * ```
 */
export function decoyRows(block: BlockReport, honest: Expectation): Row[] {
  const { decoy, detections } = block;
  if (decoy === null) return [];
  const share = detections > 0
    ? ` (${percent(decoy.single_photon_detections_lower / detections)} of n_X)`
    : "";
  const { expected, blockSize } = honest;
  const model = expected
    ? [{
      label: "An honest block here (model)",
      value: `s_X,1 ≥ ${
        count(expected.singlePhotonDetectionsLower * detections / blockSize)
      } · φ_X ≤ ${percent(expected.phaseErrorUpper)}`,
    }]
    : [];
  return [
    {
      label: "Vacuum detections s_X,0 ≥",
      value: count(decoy.vacuum_detections_lower),
    },
    {
      label: "Single-photon detections s_X,1 ≥",
      value: `${count(decoy.single_photon_detections_lower)}${share}`,
    },
    {
      label: "Phase error rate φ_X ≤",
      value: percent(decoy.phase_error_upper),
    },
    ...model,
  ];
}

const ATTACKS: Record<Exclude<EveMode, "none">, string> = {
  intercept_resend: "intercept-resend",
  pns: "photon-number splitting (PNS)",
};

/**
 * The demo's simulated attack, when the KMS's operator switched one on;
 * `null` when Eve is off.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { simulatedAttack } from "./block_outcome.ts";
 *
 * assertEquals(simulatedAttack("none"), null);
 * assertEquals(
 *   simulatedAttack("pns"),
 *   "Demo: the KMS's operator switched on the simulated eavesdropper's photon-number splitting (PNS) attack.",
 * );
 * ```
 */
export function simulatedAttack(eve: EveMode): string | null {
  return eve === "none"
    ? null
    : `Demo: the KMS's operator switched on the simulated eavesdropper's ${
      ATTACKS[eve]
    } attack.`;
}

/** What the link panel shows: the link without its series. */
