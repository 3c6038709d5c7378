import { assertEquals, assertThrows } from "@std/assert";
import { hkdfSha256, sha256 } from "./hkdf.ts";

function hex(text: string): Uint8Array {
  return Uint8Array.from(text.match(/../g) ?? [], (b) => parseInt(b, 16));
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// RFC 5869, Appendix A, test cases 1 to 3 (the SHA-256 ones).
const vectors = [
  {
    name: "A.1 basic",
    ikm: "0b".repeat(22),
    salt: "000102030405060708090a0b0c",
    info: "f0f1f2f3f4f5f6f7f8f9",
    length: 42,
    okm: "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf" +
      "34007208d5b887185865",
  },
  {
    name: "A.2 longer inputs",
    ikm: Array.from({ length: 80 }, (_, i) => i.toString(16).padStart(2, "0"))
      .join(""),
    salt: Array.from(
      { length: 80 },
      (_, i) => (0x60 + i).toString(16).padStart(2, "0"),
    ).join(""),
    info: Array.from(
      { length: 80 },
      (_, i) => (0xb0 + i).toString(16).padStart(2, "0"),
    ).join(""),
    length: 82,
    okm: "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c" +
      "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71" +
      "cc30c58179ec3e87c14c01d5c1f3434f1d87",
  },
  {
    name: "A.3 zero-length salt and info",
    ikm: "0b".repeat(22),
    salt: "",
    info: "",
    length: 42,
    okm: "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d" +
      "9d201395faa4b61a96c8",
  },
];

for (const v of vectors) {
  Deno.test(`hkdfSha256 matches RFC 5869 ${v.name}`, () => {
    const okm = hkdfSha256(hex(v.ikm), {
      salt: hex(v.salt),
      info: hex(v.info),
      length: v.length,
    });
    assertEquals(toHex(okm), v.okm);
  });
}

Deno.test("hkdfSha256 rejects lengths outside 1..8160", () => {
  assertThrows(() => hkdfSha256(new Uint8Array(1), { length: 0 }), RangeError);
  assertThrows(
    () => hkdfSha256(new Uint8Array(1), { length: 8161 }),
    RangeError,
  );
});

Deno.test("sha256 of 'abc' is the FIPS 180-2 digest", () => {
  assertEquals(
    toHex(sha256("abc")),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});
