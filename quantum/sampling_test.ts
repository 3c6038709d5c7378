import { assert, assertThrows } from "@std/assert";
import { Xoshiro128 } from "./random.ts";
import { binomial, standardNormal, trialsUntil } from "./sampling.ts";
import { Z_TOLERANCE } from "./_test_utils.ts";

const rng = new Xoshiro128();

function assertMoments(
  draws: number[],
  mean: number,
  variance: number,
  label: string,
): void {
  const n = draws.length;
  const m = draws.reduce((a, b) => a + b, 0) / n;
  const v = draws.reduce((a, b) => a + (b - m) ** 2, 0) / (n - 1);
  assert(
    Math.abs(m - mean) <= Z_TOLERANCE * Math.sqrt(variance / n),
    `${label}: mean ${m}, expected ${mean}`,
  );
  // The sample variance of n draws has a relative spread near sqrt(2/n).
  assert(
    Math.abs(v / variance - 1) <= Z_TOLERANCE * Math.sqrt(2 / n) * 1.5,
    `${label}: variance ${v}, expected ${variance}`,
  );
}

Deno.test("binomial counts have the binomial mean and variance, exact and approximated", () => {
  for (
    const [trials, p] of [[200, 0.03], [5e4, 0.01], [1e8, 0.3], [1e6, 0.9]]
  ) {
    const draws = Array.from({ length: 4000 }, () => binomial(trials, p, rng));
    assert(draws.every((x) => Number.isInteger(x) && x >= 0 && x <= trials));
    assertMoments(
      draws,
      trials * p,
      trials * p * (1 - p),
      `B(${trials}, ${p})`,
    );
  }
});

Deno.test("trials until the k-th success have the negative binomial mean and variance", () => {
  for (const [k, p] of [[20, 0.1], [1e6, 0.003]]) {
    const draws = Array.from({ length: 4000 }, () => trialsUntil(k, p, rng));
    assert(draws.every((x) => x >= k));
    assertMoments(draws, k / p, k * (1 - p) / p ** 2, `NB(${k}, ${p})`);
  }
});

Deno.test("standard normal draws have mean 0 and variance 1", () => {
  const draws = Array.from({ length: 20_000 }, () => standardNormal(rng));
  assertMoments(draws, 0, 1, "N(0, 1)");
});

Deno.test("bad probabilities and counts throw RangeErrors", () => {
  assertThrows(() => binomial(10, 1.5, rng), RangeError, "probability");
  assertThrows(() => binomial(-1, 0.5, rng), RangeError, "trials");
  assertThrows(() => trialsUntil(10, 0, rng), RangeError, "probability");
});
