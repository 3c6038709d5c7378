import { assert, assertEquals, assertThrows } from "@std/assert";
import { popcount } from "./bits.ts";
import { bernoulliMask, cryptoWords, Xoshiro128 } from "./random.ts";
import { assertRate } from "./_test_utils.ts";

Deno.test("Xoshiro128 matches the xoshiro128** reference outputs for seed 1,2,3,4", () => {
  const rng = new Xoshiro128(Uint32Array.of(1, 2, 3, 4));
  assertEquals([rng.next(), rng.next(), rng.next(), rng.next()], [
    11520,
    0,
    5927040,
    70819200,
  ]);
});

Deno.test("Xoshiro128.fill continues the same sequence as next()", () => {
  const a = new Xoshiro128(Uint32Array.of(9, 8, 7, 6));
  const b = new Xoshiro128(Uint32Array.of(9, 8, 7, 6));
  const filled = a.fill(new Uint32Array(100));
  assertEquals(Array.from(filled), Array.from({ length: 100 }, () => b.next()));
  assertEquals(a.next(), b.next());
});

Deno.test("Xoshiro128.below stays in range and unit() is never 0", () => {
  const rng = new Xoshiro128();
  for (let i = 0; i < 10000; i++) {
    const x = rng.below(7);
    assert(Number.isInteger(x) && x >= 0 && x < 7);
    const u = rng.unit();
    assert(u > 0 && u <= 1);
  }
});

Deno.test("cryptoWords fills more than one getRandomValues chunk", () => {
  const words = cryptoWords(40000);
  assertEquals(words.length, 40000);
  // The last chunk is filled too: 8,000 zero words would be astronomically unlikely.
  assert(words.subarray(32768).some((w) => w !== 0));
});

Deno.test("bernoulliMask sets each bit with probability p", () => {
  const rng = new Xoshiro128();
  const n = 1 << 20;
  for (const p of [0.001, 0.02, 0.3, 0.5, 0.7, 0.98]) {
    assertRate(popcount(bernoulliMask(n, p, rng)), n, p, `p=${p}`);
  }
});

Deno.test("bernoulliMask handles 0, 1 and the tail beyond nBits", () => {
  const rng = new Xoshiro128();
  assertEquals(popcount(bernoulliMask(100, 0, rng)), 0);
  const full = bernoulliMask(100, 1, rng);
  assertEquals(popcount(full), 100);
  assertEquals(full.length, 4);
  assertEquals(full[3], 0b1111);
  assertEquals(popcount(bernoulliMask(100, 0.9, rng)) <= 100, true);
  assertThrows(() => bernoulliMask(10, 1.5, rng), RangeError);
  assertThrows(() => bernoulliMask(10, NaN, rng), RangeError);
});
