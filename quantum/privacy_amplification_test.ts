import { assertEquals, assertThrows } from "@std/assert";
import { type BitString, getBit } from "./bits.ts";
import {
  toeplitzHash,
  toeplitzHashDirect,
  toeplitzHashFft,
  toeplitzSeedBits,
} from "./privacy_amplification.ts";
import { cryptoWords, Xoshiro128 } from "./random.ts";

function randomBits(n: number): BitString {
  const words = cryptoWords((n + 31) >>> 5);
  if (n & 31) words[words.length - 1] &= (1 << (n & 31)) - 1;
  return { words, length: n };
}

Deno.test("toeplitzHash equals the explicit matrix product over GF(2)", () => {
  for (const [m, r] of [[1, 1], [37, 5], [300, 64], [1000, 256]]) {
    const input = randomBits(m);
    const seed = cryptoWords(Math.ceil(toeplitzSeedBits(m, r) / 32));
    const out = toeplitzHash(input, r, seed);
    for (let i = 0; i < r; i++) {
      let bit = 0;
      for (let j = 0; j < m; j++) {
        bit ^= getBit(seed, i - j + m - 1) & getBit(input.words, j);
      }
      assertEquals(getBit(out, i), bit, `m=${m} r=${r} bit ${i}`);
    }
  }
});

Deno.test("toeplitzHash is linear: h(x xor y) = h(x) xor h(y)", () => {
  const x = randomBits(777), y = randomBits(777);
  const seed = cryptoWords(Math.ceil(toeplitzSeedBits(777, 128) / 32));
  const xy = { words: x.words.map((w, i) => w ^ y.words[i]), length: 777 };
  const hx = toeplitzHash(x, 128, seed), hy = toeplitzHash(y, 128, seed);
  assertEquals(toeplitzHash(xy, 128, seed), hx.map((w, i) => w ^ hy[i]));
});

Deno.test("toeplitzHash refuses a seed that is too short", () => {
  for (const hash of [toeplitzHash, toeplitzHashDirect, toeplitzHashFft]) {
    assertThrows(
      () => hash(randomBits(64), 64, new Uint32Array(3)),
      RangeError,
    );
  }
});

function assertFftMatchesDirect(sizes: number[][]): void {
  for (const [m, r] of sizes) {
    const input = randomBits(m);
    // Seeds of the length bb84.ts draws, whose bits past the last one used
    // must not matter.
    const seed = cryptoWords(Math.ceil(toeplitzSeedBits(m, r) / 32));
    assertEquals(
      toeplitzHashFft(input, r, seed),
      toeplitzHashDirect(input, r, seed),
      `m=${m} r=${r}`,
    );
  }
}

Deno.test("toeplitzHashFft equals the direct product on small and odd sizes", () => {
  const rng = new Xoshiro128();
  const sizes: number[][] = [];
  for (let m = 1; m <= 70; m++) {
    for (const r of [1, 2, 31, 32, 33, m]) sizes.push([m, r]);
  }
  for (let t = 0; t < 200; t++) {
    sizes.push([1 + rng.below(3000), 1 + rng.below(1500)]);
  }
  assertFftMatchesDirect(sizes);
});

Deno.test("toeplitzHashFft equals the direct product on random sizes", () => {
  // Lengths off multiples of 32, outputs as long as the input or nearly,
  // and the empty input.
  const rng = new Xoshiro128();
  const sizes: number[][] = [[0, 5], [5, 0]];
  for (let t = 0; t < 60; t++) {
    const m = 1 + rng.below(6000);
    sizes.push([m, m], [m, Math.max(1, m - rng.below(40))], [
      m,
      m + 1 + rng.below(40),
    ]);
  }
  assertFftMatchesDirect(sizes);
});

Deno.test("toeplitzHashFft equals the direct product on larger blocks", () => {
  // Transforms of 2^15 to 2^18 points, past the FFT's 4096-point cache block.
  assertFftMatchesDirect([[20011, 9973], [65536, 32768], [100003, 4099]]);
});

Deno.test("toeplitzHashFft is exact on all-ones blocks, its largest sums", () => {
  // All-ones operands have the largest norm, where the float error bound is
  // largest, and every coefficient in the slice is m: output bit i is m's
  // parity.
  for (const [m, r] of [[999_983, 200_003], [1 << 20, 1 << 19]]) {
    const input = {
      words: new Uint32Array((m + 31) >>> 5).fill(~0),
      length: m,
    };
    const seed = new Uint32Array(Math.ceil(toeplitzSeedBits(m, r) / 32)).fill(
      ~0,
    );
    const out = toeplitzHashFft(input, r, seed);
    for (let i = 0; i < r; i++) assertEquals(getBit(out, i), m & 1, `bit ${i}`);
  }
});

Deno.test("toeplitzHashFft at 10^6 bits matches output bits computed one by one", () => {
  // Transforms of 1.5·2^20 and 2^21 points, checked on sampled bits against
  // the matrix product's definition.
  const rng = new Xoshiro128();
  for (const [m, r] of [[1_000_000, 500_000], [1_000_003, 999_999]]) {
    const input = randomBits(m);
    const seed = cryptoWords(Math.ceil(toeplitzSeedBits(m, r) / 32));
    const out = toeplitzHashFft(input, r, seed);
    const sample = [
      0,
      1,
      31,
      32,
      r - 1,
      ...Array.from({ length: 7 }, () => rng.below(r)),
    ];
    for (const i of sample) {
      let bit = 0;
      for (let j = 0; j < m; j++) {
        bit ^= getBit(seed, i - j + m - 1) & getBit(input.words, j);
      }
      assertEquals(getBit(out, i), bit, `m=${m} r=${r} bit ${i}`);
    }
  }
});

Deno.test("toeplitzHash picks either method with the same result", () => {
  // 1000 × 256 goes direct, 40000 × 20000 by FFT.
  for (const [m, r] of [[1000, 256], [40000, 20000]]) {
    const input = randomBits(m);
    const seed = cryptoWords(Math.ceil(toeplitzSeedBits(m, r) / 32));
    assertEquals(
      toeplitzHash(input, r, seed),
      toeplitzHashDirect(input, r, seed),
    );
    assertEquals(toeplitzHash(input, r, seed), toeplitzHashFft(input, r, seed));
  }
});
