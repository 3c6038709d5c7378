import {
  assert,
  assertEquals,
  assertNotEquals,
  assertThrows,
} from "@std/assert";
import { plannedQubits, simulateBB84 } from "./bb84.ts";
import { QBER_SECURITY_THRESHOLD } from "./entropy.ts";
import type { BB84Result, BB84Success } from "./bb84.ts";
import { assertRate } from "./_test_utils.ts";

function expectKey(run: BB84Result): BB84Success {
  if (!run.ok) throw new Error(`expected a key, got an abort: ${run.message}`);
  return run;
}

Deno.test("a quiet channel yields a 256-bit key backed by at least 256 secret bits", () => {
  const run = expectKey(simulateBB84());
  assertEquals(run.key.length, 32);
  assert(run.secretBits >= 256);
  assertEquals(run.qber, 0);
  assertEquals(run.attackDetected, false);
  assert(run.qubitsUsed >= run.siftedBits);
  assertEquals(run.reconciledBits, run.siftedBits - run.sampleSize);
  const again = expectKey(simulateBB84());
  assertNotEquals(again.key.toHex(), run.key.toHex());
});

Deno.test("a 2% channel sizes itself, reconciles and counts the leak", () => {
  for (let i = 0; i < 20; i++) {
    const run = expectKey(simulateBB84({ noiseLevel: 0.02 }));
    assert(run.secretBits >= 256);
    assert(run.leakedBits >= 64, "the verification hash counts as leaked");
    assert(run.qber < QBER_SECURITY_THRESHOLD);
    assertEquals(run.qubitsUsed >= plannedQubits(256, 0.02, 0.2), true);
  }
});

Deno.test("Eve's full intercept-resend is detected and no key is produced", () => {
  const run = simulateBB84({ evePresent: true, numBits: 1 << 20 });
  assertEquals(run.ok, false);
  assertEquals(run.key, null);
  assertEquals(run.attackDetected, true);
  if (!run.ok) {
    assertEquals(run.abortReason, "qber_above_threshold");
    assert(run.message.includes("threshold"));
  }
  assertRate(run.sampleErrors, run.sampleSize, 0.25, "QBER under attack");
});

Deno.test("a longer key is backed by as many secret bits", () => {
  const run = expectKey(
    simulateBB84({ keyLength: 1024, noiseLevel: 0.03 }),
  );
  assertEquals(run.key.length, 128);
  assert(run.secretBits >= 1024);
});

Deno.test("too few qubits abort with insufficient secret bits", () => {
  const run = simulateBB84({ numBits: 256 });
  assertEquals(run.ok, false);
  if (!run.ok) assertEquals(run.abortReason, "insufficient_secret_bits");
  assertEquals(run.qubitsUsed, 256);
});

Deno.test("residual errors after reconciliation fail verification: no key", () => {
  const run = simulateBB84({
    numBits: 1 << 15,
    noiseLevel: 0.08,
    reconciliationPasses: 1,
  });
  assertEquals(run.ok, false);
  if (!run.ok) assertEquals(run.abortReason, "verification_failed");
  assertEquals(run.key, null);
});

Deno.test("a partial attack below the threshold costs qubits but still yields a key", () => {
  const run = simulateBB84({
    evePresent: true,
    eveInterceptRate: 0.2,
    noiseLevel: 0.01,
  });
  assert(run.ok, run.ok ? "" : run.message);
  assert(run.qber > 0);
});

Deno.test("bad options are refused with a RangeError", () => {
  assertThrows(() => simulateBB84({ keyLength: 100 }), RangeError, "keyLength");
  assertThrows(
    () => simulateBB84({ noiseLevel: 0.7 }),
    RangeError,
    "noiseLevel",
  );
  assertThrows(() => simulateBB84({ numBits: -1 }), RangeError, "numBits");
  assertThrows(
    () => simulateBB84({ evePresent: true, eveInterceptRate: 2 }),
    RangeError,
    "eveInterceptRate",
  );
});
