import { assertEquals, assertThrows } from "@std/assert";
import { popcount } from "./bits.ts";
import { transmitQubits } from "./channel.ts";
import { estimateQber, siftKeys } from "./sifting.ts";
import { assertRate } from "./_test_utils.ts";

const N = 1 << 21;

/** Errors over all sifted bits (a larger sample than the protocol's own). */
function siftedErrorRate(options: Parameters<typeof transmitQubits>[0]) {
  const { alice, bob } = siftKeys(transmitQubits(options));
  let errors = 0;
  for (let w = 0; w < alice.words.length; w++) {
    errors += popcount(Uint32Array.of(alice.words[w] ^ bob.words[w]));
  }
  return { errors, sifted: alice.length };
}

Deno.test("without Eve or noise every sifted bit agrees", () => {
  const { errors, sifted } = siftedErrorRate({ numBits: N });
  assertEquals(errors, 0);
  assertRate(sifted, N, 0.5, "sifted fraction");
});

Deno.test("full intercept-resend gives a QBER of 25%", () => {
  const { errors, sifted } = siftedErrorRate({ numBits: N, evePresent: true });
  assertRate(errors, sifted, 0.25, "QBER with Eve");
});

Deno.test("intercept rate r gives a QBER of r/4", () => {
  for (const r of [0.1, 0.4, 0.8]) {
    const { errors, sifted } = siftedErrorRate({
      numBits: N,
      evePresent: true,
      eveInterceptRate: r,
    });
    assertRate(errors, sifted, r / 4, `r=${r}`);
  }
});

Deno.test("channel noise p gives a QBER of p", () => {
  for (const p of [0.01, 0.05, 0.2, 0.5]) {
    const { errors, sifted } = siftedErrorRate({ numBits: N, noiseLevel: p });
    assertRate(errors, sifted, p, `noise=${p}`);
  }
});

Deno.test("Eve and noise combine as r/4 + p(1 - r/2)", () => {
  const { errors, sifted } = siftedErrorRate({
    numBits: N,
    evePresent: true,
    noiseLevel: 0.05,
  });
  assertRate(errors, sifted, 0.25 + 0.05 * 0.5, "Eve + noise");
});

Deno.test("evePresent false ignores the intercept rate", () => {
  const { errors } = siftedErrorRate({ numBits: 1 << 16, eveInterceptRate: 1 });
  assertEquals(errors, 0);
});

Deno.test("the sampled QBER estimate tracks the true error rate", () => {
  const est = estimateQber(
    siftKeys(transmitQubits({ numBits: N, evePresent: true })),
  );
  assertRate(est.sampleErrors, est.sampleSize, 0.25, "sampled QBER");
  assertEquals(
    est.alice.length + est.sampleSize,
    est.sampleSize + est.bob.length,
  );
});

Deno.test("the sample is max(10, 20%) of the sifted bits and is discarded", () => {
  const sifted = siftKeys(transmitQubits({ numBits: 10000 }));
  const est = estimateQber(sifted);
  assertEquals(
    est.sampleSize,
    Math.max(10, Math.floor(sifted.alice.length * 0.2)),
  );
  assertEquals(est.alice.length, sifted.alice.length - est.sampleSize);
  const tiny = estimateQber(siftKeys(transmitQubits({ numBits: 40 })));
  assertEquals(
    tiny.sampleSize,
    Math.min(10, tiny.sampleSize + tiny.alice.length),
  );
});

Deno.test("bad channel options are refused with a RangeError", () => {
  assertThrows(() => transmitQubits({ numBits: 0 }), RangeError, "numBits");
  assertThrows(() => transmitQubits({ numBits: 1.5 }), RangeError, "numBits");
  assertThrows(
    () => transmitQubits({ numBits: 8, noiseLevel: 0.6 }),
    RangeError,
    "noiseLevel",
  );
  assertThrows(
    () =>
      transmitQubits({ numBits: 8, evePresent: true, eveInterceptRate: -0.1 }),
    RangeError,
    "eveInterceptRate",
  );
});
