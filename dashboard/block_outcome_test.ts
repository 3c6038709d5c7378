import { assertEquals, assertStringIncludes } from "@std/assert";
import {
  SAMPLE_BLOCK,
  SAMPLE_LINK_REPORT,
} from "../protocol/_test_link_report.ts";
import type { BlockReport } from "../protocol/link_report.ts";
import { honestBlock } from "./link_expectation.ts";
import {
  decoyRows,
  type Expectation,
  outcomeSentence,
  simulatedAttack,
} from "./block_outcome.ts";

const { settings } = SAMPLE_LINK_REPORT;

function honestAt(blockSize: number): Expectation {
  return {
    expected: honestBlock({ ...settings, block_size: blockSize }),
    blockSize,
  };
}

const DEMO = honestAt(1e6);

/** Figures of the engine's blocks on the demo link (runLinkBlock). */
function block(fields: Partial<BlockReport>, s1 = 640_156): BlockReport {
  return {
    ...SAMPLE_BLOCK,
    qber: 0.0201,
    decoy: {
      vacuum_detections_lower: 1200,
      single_photon_detections_lower: s1,
      phase_error_upper: 0.046,
    },
    ...fields,
  };
}

Deno.test("outcomeSentence: an honest block's key", () => {
  assertEquals(
    outcomeSentence(block({}), DEMO),
    "Key: 320,960 secret bits to the pool from 1,000,000 detections at QBER 2.0% (finite-key bound, Lim et al. 2014).",
  );
  assertEquals(
    decoyRows(block({}), DEMO).map((row) => row.value),
    ["1,200", "640,156 (64.0% of n_X)", "4.6%", "s_X,1 ≥ 642,972 · φ_X ≤ 4.5%"],
  );
});

Deno.test("outcomeSentence: PNS lowers the single-photon estimate, not the QBER", () => {
  // 10^6 detections: the bound still gives a (smaller) secret key.
  assertEquals(
    outcomeSentence(block({ secret_bits: 29_056 }, 312_325), DEMO),
    "Key, smaller: 29,056 secret bits to the pool. PNS suspected: QBER 2.0% looks normal but the decoy estimate of single-photon detections fell to 312,325 (49% of the 642,972 an honest link gives at these settings); the finite-key bound (Lim et al. 2014) counts only those, so the smaller key stays secret.",
  );
  // 10^5 detections: none.
  assertEquals(
    outcomeSentence(
      block({
        outcome: "insufficient_secret_bits",
        detections: 100_000,
        secret_bits: 0,
      }, 24_011),
      honestAt(1e5),
    ),
    "PNS suspected: QBER 2.0% looks normal but the decoy estimate of single-photon detections fell to 24,011 (42% of the 56,889 an honest link gives at these settings): no key.",
  );
  assertStringIncludes(
    outcomeSentence(block({ outcome: "discarded" }, 0), DEMO),
    "discarded after its QBER (2.0%) and decoy estimates. PNS suspected: QBER 2.0% looks normal but the decoy estimate of single-photon detections fell to 0 (0% of the 642,972",
  );
});

Deno.test("outcomeSentence: a block too small is no attack", () => {
  assertEquals(
    outcomeSentence(
      block({
        outcome: "insufficient_secret_bits",
        detections: 10_000,
        secret_bits: 0,
      }, 3122),
      honestAt(1e4),
    ),
    "No key: the finite-key bound (Lim et al. 2014) left no secret bits from 10,000 detections at QBER 2.0%, single-photon estimate 3,122.",
  );
  assertStringIncludes(
    outcomeSentence(
      block({ outcome: "insufficient_secret_bits", decoy: null }),
      DEMO,
    ),
    "could not be evaluated on 1,000,000 detections",
  );
});

Deno.test("outcomeSentence: QBER above threshold, failed verification", () => {
  assertEquals(
    outcomeSentence(
      block({ outcome: "qber_above_threshold", qber: 0.2597 }, 641_044),
      DEMO,
    ),
    "Eavesdropper or fault suspected: QBER 26.0% is above the 11% threshold: no key.",
  );
  // A high QBER is not a PNS sign, whatever the decoy estimate says.
  assertEquals(
    outcomeSentence(
      block({ outcome: "qber_above_threshold", qber: 0.3 }, 0),
      DEMO,
    ).startsWith("Eavesdropper or fault suspected"),
    true,
  );
  assertStringIncludes(
    outcomeSentence(block({ outcome: "verification_failed" }), DEMO),
    "verification hash mismatch",
  );
});

Deno.test("outcomeSentence never reads the eve field: the analyst cannot see Eve", () => {
  for (const eve of ["none", "intercept_resend", "pns"] as const) {
    assertEquals(
      outcomeSentence(block({ eve }), DEMO),
      outcomeSentence(block({}), DEMO),
    );
    assertEquals(
      outcomeSentence(block({ eve, secret_bits: 29_056 }, 312_325), DEMO),
      outcomeSentence(block({ secret_bits: 29_056 }, 312_325), DEMO),
    );
  }
});

Deno.test("without an honest expectation the sentence judges no attack", () => {
  const unknown = { expected: null, blockSize: 1e6 };
  assertEquals(
    outcomeSentence(
      block({ outcome: "insufficient_secret_bits", secret_bits: 0 }, 0),
      unknown,
    ),
    "No key: the finite-key bound (Lim et al. 2014) left no secret bits from 1,000,000 detections at QBER 2.0%, single-photon estimate 0.",
  );
  assertEquals(decoyRows(block({}), unknown).length, 3);
  assertEquals(decoyRows(block({ decoy: null }), DEMO), []);
});

Deno.test("simulatedAttack labels the operator's switch as the demo's", () => {
  assertEquals(simulatedAttack("none"), null);
  assertStringIncludes(simulatedAttack("intercept_resend")!, "Demo:");
  assertStringIncludes(
    simulatedAttack("intercept_resend")!,
    "intercept-resend",
  );
});
