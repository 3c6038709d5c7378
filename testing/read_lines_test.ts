import { assertEquals } from "@std/assert";
import { readLines } from "./read_lines.ts";

function chunks(...texts: string[]): ReadableStream<Uint8Array<ArrayBuffer>> {
  return ReadableStream.from(texts.map((t) => new TextEncoder().encode(t)));
}

Deno.test("readLines joins lines split across chunks and keeps empty ones", async () => {
  assertEquals(
    await Array.fromAsync(readLines(chunks('{"op":', '"x"}\n\nUP\nDO', "WN"))),
    ['{"op":"x"}', "", "UP", "DOWN"],
  );
});

Deno.test("readLines decodes a character split across chunks", async () => {
  const bytes = new TextEncoder().encode("—\n");
  const stream = ReadableStream.from([bytes.subarray(0, 1), bytes.subarray(1)]);
  assertEquals(await Array.fromAsync(readLines(stream)), ["—"]);
});

Deno.test("readLines yields nothing for an empty stream", async () => {
  assertEquals(await Array.fromAsync(readLines(chunks())), []);
});
