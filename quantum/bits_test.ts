import { assertEquals } from "@std/assert";
import {
  bitsToBytes,
  extractBits,
  getBit,
  popcount,
  popcount32,
} from "./bits.ts";
import { cryptoWords } from "./random.ts";

function naiveExtract(
  mask: Uint32Array,
  source: Uint32Array,
  nBits: number,
): number[] {
  const out: number[] = [];
  for (let i = 0; i < nBits; i++) {
    if (getBit(mask, i)) out.push(getBit(source, i));
  }
  return out;
}

Deno.test("popcount32 counts bits of edge words", () => {
  assertEquals(popcount32(0), 0);
  assertEquals(popcount32(0xffffffff), 32);
  assertEquals(popcount32(0x80000001), 2);
  assertEquals(popcount(Uint32Array.of(1, 3, 7)), 6);
});

Deno.test("extractBits agrees with a bit-by-bit reference", () => {
  for (const nBits of [1, 31, 32, 33, 100, 1000, 4099]) {
    const words = (nBits + 31) >>> 5;
    const mask = cryptoWords(words);
    const a = cryptoWords(words);
    const b = cryptoWords(words);
    const [xa, xb] = extractBits(mask, [a, b], nBits);
    const ra = naiveExtract(mask, a, nBits);
    assertEquals(xa.length, ra.length);
    assertEquals(xb.length, ra.length);
    assertEquals(
      Array.from({ length: xa.length }, (_, i) => getBit(xa.words, i)),
      ra,
    );
    assertEquals(
      Array.from({ length: xb.length }, (_, i) => getBit(xb.words, i)),
      naiveExtract(mask, b, nBits),
    );
    // Nothing beyond the kept length is set.
    assertEquals(popcount(xa.words), ra.filter((x) => x === 1).length);
  }
});

Deno.test("bitsToBytes is little-endian within words", () => {
  assertEquals(
    Array.from(bitsToBytes(Uint32Array.of(0x04030201, 0x000000ff), 5)),
    [1, 2, 3, 4, 255],
  );
});
