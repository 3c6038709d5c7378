import { assertEquals, assertThrows } from "@std/assert";
import { type BitString, getBit } from "./bits.ts";
import { toeplitzHash, toeplitzSeedBits } from "./privacy_amplification.ts";
import { cryptoWords } from "./random.ts";

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
  assertThrows(
    () => toeplitzHash(randomBits(64), 64, new Uint32Array(3)),
    RangeError,
  );
});
