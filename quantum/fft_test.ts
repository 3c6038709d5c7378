import { assertEquals, assertThrows } from "@std/assert";
import type { BitString } from "./bits.ts";
import { convolutionLength, convolveBits, MAX_FFT_LENGTH } from "./fft.ts";
import { Xoshiro128 } from "./random.ts";

function randomBits(n: number, rng: Xoshiro128): BitString {
  const words = new Uint32Array((n + 31) >>> 5);
  for (let j = 0; j < n; j++) words[j >>> 5] |= rng.below(2) << (j & 31);
  return { words, length: n };
}

function bit(bits: BitString, j: number): number {
  return (bits.words[j >>> 5] >>> (j & 31)) & 1;
}

function schoolbook(a: BitString, b: BitString, length: number): number[] {
  const expected = new Array<number>(length).fill(0);
  for (let i = 0; i < a.length; i++) {
    if (!bit(a, i)) continue;
    for (let j = 0; j < b.length; j++) {
      // x^L = −1
      if (bit(b, j)) expected[(i + j) % length] += i + j < length ? 1 : -1;
    }
  }
  return expected;
}

// The lengths convolveBits accepts up to 2^14; those up to 3072 run radix-2,
// -3 and -4 levels alone, the all-ones test's also past the 4096-point cache
// block.
const LENGTHS = [
  ...Array.from({ length: 14 }, (_, k) => 2 << k),
  ...Array.from({ length: 12 }, (_, k) => 6 << k),
].sort((p, q) => p - q);

Deno.test("convolveBits equals the schoolbook negacyclic convolution", () => {
  const rng = new Xoshiro128();
  for (const length of LENGTHS.filter((l) => l <= 3072)) {
    for (
      const [p, q] of [[length, length], [
        1 + rng.below(length),
        1 + rng.below(length),
      ]]
    ) {
      const a = randomBits(p, rng), b = randomBits(q, rng);
      assertEquals(
        [...convolveBits(a, b, { length })],
        schoolbook(a, b, length),
        `L=${length} ${p}×${q}`,
      );
    }
  }
});

Deno.test("convolveBits returns the window it is asked for", () => {
  const rng = new Xoshiro128();
  for (const length of [6, 64, 96, 3072]) {
    const a = randomBits(length - 5, rng), b = randomBits(length, rng);
    const all = convolveBits(a, b, { length });
    const from = rng.below(length), count = rng.below(length - from + 1);
    assertEquals(
      convolveBits(a, b, { length, from, count }),
      all.slice(from, from + count),
      `L=${length} from ${from} count ${count}`,
    );
  }
});

Deno.test("convolveBits is exact on all-ones operands at large lengths", () => {
  // All ones give the largest norms, where the rounding error bound is
  // largest; with no wrap, coefficient k counts the j with 0 ≤ j < p and
  // 0 ≤ k − j < q.
  for (const length of [1 << 16, 3 << 16, 1 << 21, 3 << 19]) {
    const p = length / 2 + 7, q = length - p + 1;
    const ones = (n: number) => ({
      words: new Uint32Array((n + 31) >>> 5).fill(~0),
      length: n,
    });
    const from = p - 10, count = 40;
    const got = convolveBits(ones(p), ones(q), { length, from, count });
    for (let k = 0; k < count; k++) {
      const c = from + k;
      assertEquals(got[k], Math.min(c, p - 1) - Math.max(0, c - q + 1) + 1);
    }
  }
});

Deno.test("convolutionLength picks the smallest 2^k or 3·2^k", () => {
  const cases = [
    [1, 2],
    [2, 2],
    [3, 4],
    [5, 6],
    [6, 6],
    [7, 8],
    [13, 16],
    [
      17,
      24,
    ],
    [1_000_000, 1_048_576],
    [1_499_999, 1_572_864],
    [1_572_865, 2_097_152],
  ];
  for (const [minimum, length] of cases) {
    assertEquals(convolutionLength(minimum), length, `${minimum}`);
  }
  for (let minimum = 1; minimum < 5000; minimum++) {
    const length = convolutionLength(minimum);
    const other = LENGTHS.find((l) => l >= minimum);
    assertEquals(length, other, `${minimum}`);
  }
});

Deno.test("convolveBits refuses lengths and windows it cannot serve", () => {
  const bits = (n: number) => ({ words: new Uint32Array(n), length: n });
  const cases: [
    number,
    number,
    { length: number; from?: number; count?: number },
  ][] = [
    [3, 3, { length: 3 }],
    [4, 4, { length: 10 }],
    [4, 4, { length: 28 }],
    [5, 4, { length: 4 }],
    [4, 5, { length: 4 }],
    [4, 4, { length: 4, from: 3, count: 2 }],
    [4, 4, { length: 4, from: -1 }],
    [4, 4, { length: 2 * MAX_FFT_LENGTH }],
  ];
  for (const [p, q, options] of cases) {
    assertThrows(
      () => convolveBits(bits(p), bits(q), options),
      RangeError,
      undefined,
      JSON.stringify(options),
    );
  }
});
