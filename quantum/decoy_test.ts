import {
  assert,
  assertAlmostEquals,
  assertEquals,
  assertThrows,
} from "@std/assert";
import {
  decoyCutoffKm,
  decoyKeyRate,
  estimateDecoy,
  expectedRates,
} from "./decoy.ts";

// Ma, Qi, Zhao, Lo, "Practical decoy state for quantum key distribution",
// PRA 72, 012326 (2005), Table 1: the GYS experiment (Gobby, Yuan, Shields,
// APL 84, 3762 (2004)) at 1550 nm, with their f(E) = 1.22 and q = 1/2.
const GYS = {
  attenuationDbPerKm: 0.21,
  detectorEfficiency: 0.045, // η_Bob
  darkCountProbability: 1.7e-6, // Y_0
  misalignmentError: 0.033, // e_detector
  reconciliationEfficiency: 1.22,
};

Deno.test("GYS cut-offs match Ma et al. 2005 Fig. 2: 142 km with infinite decoys, ~140.5 km with vacuum + weak (ν = 0.05)", () => {
  // Fig. 2 is drawn at their Eq. (12) optimum μ = 0.48. Its curves meet the
  // axis at about 142.0 and 140.5 km; ±1 km is what reading the plot allows.
  const infinite = decoyCutoffKm({ ...GYS, mu: 0.48, estimate: "infinite" });
  const practical = decoyCutoffKm({ ...GYS, mu: 0.48, nu: 0.05 });
  assertAlmostEquals(infinite, 142, 1);
  assertAlmostEquals(practical, 140.5, 1);
  assert(practical < infinite, "two decoys never outreach infinitely many");
});

Deno.test("GYS: the optimised μ is Ma et al.'s 0.48 and the optimum cut-off stays about 142 km", () => {
  for (const distanceKm of [0, 50, 100]) {
    const { mu } = decoyKeyRate({ ...GYS, distanceKm, estimate: "infinite" });
    // Sec. 3.1 gives μ_opt ≈ 0.48 (two digits); the exact optimum drifts a
    // little with distance as dark counts start to matter.
    assertAlmostEquals(mu, 0.48, 0.015, `μ_opt at ${distanceKm} km`);
  }
  assertAlmostEquals(decoyCutoffKm({ ...GYS, estimate: "infinite" }), 142, 1);
  const weak = decoyCutoffKm({ ...GYS, nu: 0.1 });
  assert(weak > 138 && weak < 142, `vacuum + weak ν = 0.1: ${weak} km`);
});

Deno.test("GYS at 40 km matches Ma et al. 2005 Fig. 1: with ν/μ = 25%, Y_1 is 3.5% low and e_1 16.8% high", () => {
  const mu = 0.48;
  const exact = decoyKeyRate({
    ...GYS,
    distanceKm: 40,
    mu,
    estimate: "infinite",
  });
  const bound = decoyKeyRate({ ...GYS, distanceKm: 40, mu, nu: 0.25 * mu });
  // Fig. 1 reads to a few tenths of a percent.
  assertAlmostEquals(100 * (exact.y1 - bound.y1) / exact.y1, 3.5, 0.3);
  assertAlmostEquals(100 * (bound.e1 - exact.e1) / exact.e1, 16.8, 0.5);
});

Deno.test("the key rate falls with distance and the practical bound stays below the infinite-decoy one", () => {
  let previous = Infinity;
  for (let distanceKm = 0; distanceKm <= 140; distanceKm += 20) {
    const infinite = decoyKeyRate({ ...GYS, distanceKm, estimate: "infinite" });
    const practical = decoyKeyRate({ ...GYS, distanceKm });
    assert(infinite.rate < previous);
    assert(practical.rate <= infinite.rate);
    assert(practical.y1 <= infinite.y1 && practical.e1 >= infinite.e1);
    previous = infinite.rate;
  }
  assertEquals(decoyKeyRate({ ...GYS, distanceKm: 150 }).rate, 0);
});

Deno.test("at short distance the infinite-decoy rate is close to the single-photon GLLP term", () => {
  const r = decoyKeyRate({
    ...GYS,
    distanceKm: 0,
    mu: 0.48,
    estimate: "infinite",
  });
  assertAlmostEquals(r.eta, 0.045);
  assertAlmostEquals(r.y1, 0.045 + 1.7e-6);
  assertAlmostEquals(r.signal.gain, 1.7e-6 - Math.expm1(-0.045 * 0.48));
  assertAlmostEquals(r.rate, 2.55e-3, 1e-5);
});

Deno.test("the decoy estimate of a model channel is a lower bound on Y_1 and tends to it as ν shrinks", () => {
  const link = { ...GYS, distanceKm: 50 };
  const exactY1 = 1.7e-6 +
    decoyKeyRate({ ...link, estimate: "infinite", mu: 0.5 }).eta;
  let previous = 0;
  for (const nu of [0.2, 0.1, 0.01]) {
    const { y1 } = estimateDecoy({
      mu: 0.5,
      nu,
      signal: expectedRates(link, 0.5),
      weak: expectedRates(link, nu),
      vacuumGain: 1.7e-6,
    });
    assert(y1 <= exactY1 && y1 > previous);
    previous = y1;
  }
  assertAlmostEquals(previous, exactY1, exactY1 * 0.01);
});

Deno.test("bad parameters are refused with the name of the bad one", () => {
  const link = { ...GYS, distanceKm: 10 };
  assertThrows(
    () => decoyKeyRate({ ...link, detectorEfficiency: 1.5 }),
    RangeError,
    "detectorEfficiency",
  );
  assertThrows(
    () => decoyKeyRate({ ...link, distanceKm: -1 }),
    RangeError,
    "distanceKm",
  );
  assertThrows(
    () => decoyKeyRate({ ...link, mu: 0.05, nu: 0.1 }),
    RangeError,
    "nu",
  );
});
