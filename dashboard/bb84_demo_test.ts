import { assertEquals, assertThrows } from "@std/assert";
import { photon, runBb84Demo } from "./bb84_demo.ts";

Deno.test("photons follow the report's table", () => {
  assertEquals(
    [
      photon({ basis: "+", bit: 0 }),
      photon({ basis: "+", bit: 1 }),
      photon({ basis: "×", bit: 0 }),
      photon({ basis: "×", bit: 1 }),
    ],
    ["↑", "→", "↗", "↘"],
  );
});

Deno.test("the tables agree with the engine's sifting", () => {
  for (const eve of [false, true]) {
    for (const qubits of [16, 24, 32]) {
      const demo = runBb84Demo({ qubits, eve });
      assertEquals(demo.positions.length, qubits);
      const kept = demo.positions.filter((p) => p.kept);
      for (const p of demo.positions) {
        assertEquals(p.kept, p.alice.basis === p.bob.basis);
        assertEquals(p.error, p.kept && p.alice.bit !== p.bob.bit);
      }
      assertEquals(demo.siftedAlice, kept.map((p) => p.alice.bit).join(""));
      assertEquals(demo.siftedBob, kept.map((p) => p.bob.bit).join(""));
      assertEquals(demo.errors, kept.filter((p) => p.error).length);
      assertEquals(demo.qber, kept.length ? demo.errors / kept.length : null);
    }
  }
});

Deno.test("without Eve a noiseless channel shows no errors; with Eve about 25%", () => {
  let errors = 0, kept = 0;
  for (let run = 0; run < 200; run++) {
    assertEquals(runBb84Demo({ qubits: 32, eve: false }).errors, 0);
    const attacked = runBb84Demo({ qubits: 32, eve: true });
    errors += attacked.errors;
    kept += attacked.siftedAlice.length;
  }
  // About 3,200 kept bits: 25% ± 4% is over five standard deviations wide.
  const rate = errors / kept;
  assertEquals(rate > 0.21 && rate < 0.29, true, `error rate ${rate}`);
});

Deno.test("the explainer sends 16 to 32 qubits", () => {
  assertThrows(() => runBb84Demo({ qubits: 15, eve: false }), RangeError);
  assertThrows(() => runBb84Demo({ qubits: 33, eve: false }), RangeError);
  assertThrows(() => runBb84Demo({ qubits: 20.5, eve: false }), RangeError);
});
