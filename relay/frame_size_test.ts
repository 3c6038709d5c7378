import { assertEquals } from "@std/assert";
import { exceedsBytes, utf8ByteLength } from "./frame_size.ts";

const encoder = new TextEncoder();

Deno.test("utf8ByteLength() agrees with TextEncoder, lone surrogates included", () => {
  const samples = [
    "",
    "plain ascii",
    "é",
    "€",
    "🛰",
    "a🛰b",
    "\ud800",
    "\udc00x",
    "\ud800\ud800",
    "x\ud83d",
    "ünïcode ✓ 漢字 🙂",
  ];
  const alphabet = ["a", "é", "€", "🛰", "\ud800", "\udfff"];
  for (let i = 0; i < 200; i++) {
    let text = "";
    for (let j = 0; j < 12; j++) {
      text += alphabet[Math.floor(Math.random() * alphabet.length)];
    }
    samples.push(text);
  }
  for (const text of samples) {
    assertEquals(
      utf8ByteLength(text),
      encoder.encode(text).length,
      JSON.stringify(text),
    );
  }
});

Deno.test("exceedsBytes() decides at the exact byte limit", () => {
  assertEquals(exceedsBytes("a".repeat(10), 10), false);
  assertEquals(exceedsBytes("a".repeat(11), 10), true);
  assertEquals(exceedsBytes("é".repeat(5), 10), false);
  assertEquals(exceedsBytes("é".repeat(5) + "a", 10), true);
  assertEquals(exceedsBytes("€".repeat(3), 9), false);
  assertEquals(exceedsBytes("€".repeat(3), 8), true);
  assertEquals(exceedsBytes("", 0), false);
});
