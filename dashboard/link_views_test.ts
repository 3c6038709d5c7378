import { assertEquals, assertStringIncludes } from "@std/assert";
import { SAMPLE_BLOCK } from "../protocol/_test_link_report.ts";
import type { BlockReport } from "../protocol/link_report.ts";
import { decoyRows, outcomeSentence, simulatedAttack } from "./link_views.ts";

function block(fields: Partial<BlockReport>): BlockReport {
  return { ...SAMPLE_BLOCK, ...fields };
}

const COLLAPSED = {
  vacuum_detections_lower: 900,
  single_photon_detections_lower: 0,
  phase_error_upper: 0.5,
};

Deno.test("outcomeSentence says each outcome from the measured figures", () => {
  assertEquals(
    outcomeSentence(SAMPLE_BLOCK),
    "Key: 320,960 secret bits to the pool from 1,000,000 detections at QBER 2.1% (finite-key bound, Lim et al. 2014).",
  );
  assertEquals(
    outcomeSentence(
      block({ outcome: "qber_above_threshold", qber: 0.253, secret_bits: 0 }),
    ),
    "Eavesdropper or fault suspected: QBER 25.3% is above the 11% threshold: no key.",
  );
  // A block too small: the single-photon estimate is healthy, the bound is not.
  assertEquals(
    outcomeSentence(
      block({
        outcome: "insufficient_secret_bits",
        detections: 10_000,
        secret_bits: 0,
        decoy: { ...COLLAPSED, single_photon_detections_lower: 3900 },
      }),
    ),
    "No key: the finite-key bound (Lim et al. 2014) left no secret bits from 10,000 detections at QBER 2.1%, single-photon estimate 3,900.",
  );
  assertStringIncludes(
    outcomeSentence(
      block({ outcome: "insufficient_secret_bits", decoy: null }),
    ),
    "could not be evaluated on 1,000,000 detections",
  );
  assertStringIncludes(
    outcomeSentence(block({ outcome: "verification_failed" })),
    "verification hash mismatch",
  );
  assertEquals(
    outcomeSentence(block({ outcome: "discarded", decoy: COLLAPSED })),
    "Measured, not distilled: the pool was full or the link RED, so the block was discarded after its QBER (2.1%) and decoy estimates. PNS suspected: QBER 2.1% looks normal but the decoy estimate of single-photon detections fell to 0.",
  );
});

Deno.test("outcomeSentence never reads the eve field: the analyst cannot see Eve", () => {
  for (const eve of ["none", "intercept_resend", "pns"] as const) {
    assertEquals(
      outcomeSentence(
        block({ eve, outcome: "insufficient_secret_bits", decoy: COLLAPSED }),
      ),
      "PNS suspected: QBER 2.1% looks normal but the decoy estimate of single-photon detections fell to 0: no key.",
    );
    assertEquals(
      outcomeSentence(block({ eve })),
      outcomeSentence(SAMPLE_BLOCK),
    );
  }
  // A high QBER is not a PNS sign, whatever the decoy estimate says.
  assertEquals(
    outcomeSentence(
      block({ outcome: "qber_above_threshold", qber: 0.3, decoy: COLLAPSED }),
    ).startsWith("Eavesdropper or fault suspected"),
    true,
  );
});

Deno.test("simulatedAttack labels the operator's switch as the demo's", () => {
  assertEquals(simulatedAttack("none"), null);
  assertStringIncludes(simulatedAttack("intercept_resend")!, "Demo:");
  assertStringIncludes(
    simulatedAttack("intercept_resend")!,
    "intercept-resend",
  );
});

Deno.test("decoyRows writes the three estimates, none without a bound", () => {
  assertEquals(decoyRows(SAMPLE_BLOCK).map((row) => row.value), [
    "1,200",
    "420,000 (42.0% of n_X)",
    "4.1%",
  ]);
  assertEquals(decoyRows(block({ decoy: null })), []);
});
