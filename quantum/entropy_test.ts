import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
import {
  binaryEntropy,
  PRIVACY_AMPLIFICATION_MARGIN_BITS,
  QBER_SECURITY_THRESHOLD,
  secretKeyBits,
} from "./entropy.ts";

Deno.test("binaryEntropy has its known values", () => {
  assertEquals(binaryEntropy(0), 0);
  assertEquals(binaryEntropy(1), 0);
  assertEquals(binaryEntropy(0.5), 1);
  assertAlmostEquals(binaryEntropy(0.11), 0.4999, 1e-3);
});

Deno.test("the BB84 secret fraction 1 - 2h(e) reaches zero at the 11% threshold", () => {
  assertAlmostEquals(1 - 2 * binaryEntropy(QBER_SECURITY_THRESHOLD), 0, 0.005);
  assert(1 - 2 * binaryEntropy(0.10) > 0);
  assert(1 - 2 * binaryEntropy(0.12) < 0);
});

Deno.test("secretKeyBits subtracts leak and margin, never below zero", () => {
  assertEquals(
    secretKeyBits({ reconciledBits: 1000, qber: 0, leakedBits: 100 }),
    1000 - 100 - PRIVACY_AMPLIFICATION_MARGIN_BITS,
  );
  assertEquals(
    secretKeyBits({ reconciledBits: 1000, qber: 0.2, leakedBits: 900 }),
    0,
  );
});
