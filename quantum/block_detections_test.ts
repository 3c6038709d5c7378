import { assert, assertEquals } from "@std/assert";
import { popcount } from "./bits.ts";
import { type BlockLink, sampleBlock } from "./block_detections.ts";
import { expectedFiniteKeyLength } from "./finite_key_channel.ts";
import { simulatePulses } from "./pulse_channel.ts";
import { Xoshiro128 } from "./random.ts";
import { assertRate, Z_TOLERANCE } from "./_test_utils.ts";
import { DEMO_LINK } from "./_test_finite_key.ts";

const rng = new Xoshiro128();

Deno.test("Bob's key differs from Alice's exactly where errors were counted", () => {
  const block = sampleBlock(DEMO_LINK, 50_003, { mode: "none" }, rng);
  const diff = block.alice.words.map((w, i) => w ^ block.bob.words[i]);
  assertEquals(popcount(diff), block.counts.reduce((n, c) => n + c.mX, 0));
  assertEquals(block.alice.words.length, Math.ceil(50_003 / 32));
  assertEquals(block.alice.words.at(-1)! >>> (50_003 & 31), 0);
});

Deno.test("counts per intensity and basis agree with the model of Lim et al. 2014 within binomial tolerances", () => {
  const blockSize = 1_000_000;
  const block = sampleBlock(DEMO_LINK, blockSize, { mode: "none" }, rng);
  const expected = expectedFiniteKeyLength({ ...DEMO_LINK, blockSize });
  const pulses = expected.pulses;
  assert(
    Math.abs(block.pulses - pulses) <
      Z_TOLERANCE * Math.sqrt(blockSize) * pulses / blockSize,
    `pulses ${block.pulses}, expected ${pulses}`,
  );
  const { detectorEfficiency, darkCountProbability: pdc, misalignmentError } =
    DEMO_LINK;
  const eta = detectorEfficiency * 10 ** (-0.2 * DEMO_LINK.distanceKm / 10);
  const zBoth = (1 - DEMO_LINK.keyBasisProbability) ** 2;
  for (const [k, c] of block.counts.entries()) {
    // Per pulse: detection D_k = 1 − (1 − 2p_dc)e^(−ημ), error rate over
    // detections (p_dc + e_mis(1 − e^(−ημ))) / D_k.
    const arrived = -Math.expm1(-eta * c.intensity);
    const detect = 1 - (1 - 2 * pdc) * (1 - arrived);
    const qber = (pdc + misalignmentError * arrived) / detect;
    const z = DEMO_LINK.intensityProbabilities[k] * zBoth * detect;
    assertRate(c.nZ, block.pulses, z, `n_Z at ${c.intensity}`);
    if (c.nX > 1000) assertRate(c.mX, c.nX, qber, `QBER_X at ${c.intensity}`);
    if (c.nZ > 1000) assertRate(c.mZ, c.nZ, qber, `QBER_Z at ${c.intensity}`);
  }
});

// The pulse-by-pulse simulator and the event sampler, on a link where their
// dark-count models coincide (none), give the same gains per intensity.
const CLEAN: BlockLink = {
  distanceKm: 10,
  detectorEfficiency: 0.5,
  darkCountProbability: 0,
  misalignmentError: 0.01,
  intensities: [0.5, 0.1, 0],
  intensityProbabilities: [0.6, 0.3, 0.1],
  keyBasisProbability: 0.5,
};

for (const pns of [false, true]) {
  Deno.test(`event sampling matches the pulse-by-pulse simulator${pns ? " under PNS" : ""}`, () => {
    const pulses = simulatePulses({
      pulses: 1 << 21,
      link: { ...CLEAN, mu: 0.5, nu: 0.1 },
      mix: { signal: 0.6, weak: 0.3, vacuum: 0.1 },
      pns,
    }, rng);
    const block = sampleBlock(
      CLEAN,
      200_000,
      { mode: pns ? "pns" : "none" },
      rng,
    );
    for (const [k, c] of [pulses.signal, pulses.weak].entries()) {
      const gain = c.detected / c.sent;
      const counted = block.counts[k];
      // X and Z each take a quarter of the pulses at q_X = 1/2.
      const sent = block.pulses * CLEAN.intensityProbabilities[k] * 0.25;
      assertRate(counted.nZ, sent, gain, `gain at ${c.intensity}`);
    }
  });
}

Deno.test("intercept-resend at rate r adds r/4 to the QBER, PNS adds nothing", () => {
  const QBER = (eve: Parameters<typeof sampleBlock>[2]) => {
    const block = sampleBlock(DEMO_LINK, 400_000, eve, rng);
    return block.counts.reduce((n, c) => n + c.mX, 0) / 400_000;
  };
  const honest = QBER({ mode: "none" });
  const full = QBER({ mode: "intercept_resend" });
  const half = QBER({ mode: "intercept_resend", rate: 0.5 });
  assert(Math.abs(full - (0.25 + 0.01)) < 0.005, `full ${full}`);
  assert(Math.abs(half - (0.02 + 0.5 * (0.25 - 0.01))) < 0.005, `half ${half}`);
  assert(Math.abs(QBER({ mode: "pns" }) - honest) < 0.002);
});
