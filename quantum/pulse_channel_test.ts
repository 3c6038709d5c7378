import { assert, assertEquals, assertThrows } from "@std/assert";
import { popcount } from "./bits.ts";
import { estimateDecoy, expectedRates, transmittance } from "./decoy.ts";
import {
  measuredRates,
  type PulseChannelOptions,
  simulatePulses,
} from "./pulse_channel.ts";
import { assertRate } from "./_test_utils.ts";

const LINK = {
  distanceKm: 25,
  detectorEfficiency: 0.2,
  darkCountProbability: 1e-4,
  misalignmentError: 0.02,
  mu: 0.5,
  nu: 0.1,
};
const MIX = { signal: 0.6, weak: 0.3, vacuum: 0.1 };
const N = 1 << 22;

Deno.test("gains and QBER per intensity agree with the model of Ma et al. 2005 within binomial tolerances", () => {
  const run = simulatePulses({ pulses: N, link: LINK, mix: MIX });
  for (const c of [run.signal, run.weak, run.vacuum]) {
    const model = expectedRates(LINK, c.intensity);
    assertRate(c.detected, c.sent, model.gain, `gain at ${c.intensity}`);
    assertRate(c.errors, c.sifted, model.qber, `QBER at ${c.intensity}`);
    assertRate(c.sifted, c.detected, 0.5, `sifted share at ${c.intensity}`);
  }
  assertRate(run.signal.sent, N, MIX.signal, "signal share");
  assertRate(run.vacuum.sent, N, MIX.vacuum, "vacuum share");
});

Deno.test("the raw key is the signal's sifted bits, wrong exactly where errors were counted", () => {
  const run = simulatePulses({ pulses: 1 << 20, link: LINK });
  const { alice, bob } = run.signalKey;
  assertEquals(alice.length, run.signal.sifted);
  assertEquals(bob.length, run.signal.sifted);
  const diff = alice.words.map((w, i) => w ^ bob.words[i]);
  assertEquals(popcount(diff), run.signal.errors);
  assertRate(popcount(alice.words), alice.length, 0.5, "Alice's bits");
});

Deno.test("an honest link's decoy estimate brackets the true Y_1 and gives a key", () => {
  const run = simulatePulses({ pulses: N, link: LINK, mix: MIX });
  const estimate = estimateDecoy(measuredRates(run));
  const y1 = LINK.darkCountProbability + transmittance(LINK);
  assert(
    estimate.y1 > 0.8 * y1 && estimate.y1 < 1.1 * y1,
    `Y_1 ${estimate.y1}`,
  );
  assert(estimate.rate > 0);
});

Deno.test("intercept-resend at rate r adds r/4 to the QBER of photon detections", () => {
  const r = 0.5;
  const run = simulatePulses({ pulses: N, link: LINK, interceptRate: r });
  const eta = transmittance(LINK), y0 = LINK.darkCountProbability;
  const photon = -Math.expm1(-eta * LINK.mu);
  const wrong = r / 4 + (1 - r / 2) * LINK.misalignmentError;
  const expected = (wrong * photon + 0.5 * y0 * (1 - photon)) /
    (1 - (1 - y0) * (1 - photon));
  assertRate(run.signal.errors, run.signal.sifted, expected, "QBER with Eve");
});

Deno.test("PNS keeps the signal's gain and QBER but the decoy estimate of Y_1 collapses: no key", () => {
  // 60 km at 0.2 dB/km: multi-photon pulses alone can carry the signal's
  // gain, so Eve blocks every single photon and learns every bit she lets by.
  const link = {
    distanceKm: 60,
    detectorEfficiency: 0.1,
    darkCountProbability: 1e-5,
    misalignmentError: 0.015,
    mu: 0.5,
    nu: 0.1,
  };
  const options: PulseChannelOptions = { pulses: 1 << 23, link, mix: MIX };
  const honest = simulatePulses(options);
  const attacked = simulatePulses({ ...options, pns: true });
  const model = expectedRates(link, link.mu);
  for (const run of [honest, attacked]) {
    assertRate(run.signal.detected, run.signal.sent, model.gain, "signal gain");
    assertRate(run.signal.errors, run.signal.sifted, model.qber, "signal QBER");
  }
  const before = estimateDecoy(measuredRates(honest));
  const after = estimateDecoy(measuredRates(attacked));
  assert(before.rate > 0 && before.y1 > 0.5 * transmittance(link));
  assert(after.y1 <= 0, `Y_1 bound under PNS: ${after.y1}`);
  assertEquals(after.rate, 0);
  // The weak decoy's gain is what gives Eve away.
  assert(
    measuredRates(attacked).weak.gain < 0.5 * measuredRates(honest).weak.gain,
  );
});

Deno.test("a dead time of d pulses scales the gain to Q/(1 + dQ)", () => {
  const link = { ...LINK, distanceKm: 0, detectorEfficiency: 0.5 };
  const d = 10;
  const run = simulatePulses({
    pulses: 1 << 20,
    link,
    mix: { signal: 1, weak: 0, vacuum: 0 },
    deadTimePulses: d,
  });
  const q = 1 - (1 - link.darkCountProbability) *
      Math.exp(-transmittance(link) * link.mu);
  assertRate(run.signal.detected, run.signal.sent, q / (1 + d * q), "gain");
});

Deno.test("bad options are refused with the name of the bad one", () => {
  const bad: [Partial<PulseChannelOptions>, string][] = [
    [{ pulses: 0 }, "pulses"],
    [{ interceptRate: 2 }, "interceptRate"],
    [{ deadTimePulses: -1 }, "deadTimePulses"],
    [{ mix: { signal: 0.5, weak: 0.1, vacuum: 0.1 } }, "mix"],
    [{ link: { ...LINK, nu: 0.6 } }, "nu"],
    [{ link: { ...LINK, misalignmentError: 0.7 } }, "misalignmentError"],
  ];
  for (const [change, name] of bad) {
    assertThrows(
      () => simulatePulses({ pulses: 64, link: LINK, ...change }),
      RangeError,
      name,
    );
  }
});
