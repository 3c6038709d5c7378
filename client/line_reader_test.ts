import { assertEquals } from "@std/assert";
import { LineReader } from "./line_reader.ts";

function streamOf(...parts: string[]): ReadableStream<Uint8Array<ArrayBuffer>> {
  const encoder = new TextEncoder();
  return ReadableStream.from(parts.map((part) => encoder.encode(part)));
}

async function allLines(reader: LineReader): Promise<string[]> {
  const lines: string[] = [];
  for (let line; (line = await reader.next()) !== null;) lines.push(line);
  return lines;
}

Deno.test("lines split across chunks, CRLF endings and a last line without newline", async () => {
  const reader = new LineReader(
    streamOf("Sol", "dier_Alpha\r\n\nhé", "llo\nlast"),
  );
  assertEquals(await allLines(reader), ["Soldier_Alpha", "", "héllo", "last"]);
  assertEquals(await reader.next(), null);
});

Deno.test("a multi-byte character split between chunks stays whole", async () => {
  const bytes = new TextEncoder().encode("✓\n");
  const reader = new LineReader(
    ReadableStream.from([bytes.subarray(0, 1), bytes.subarray(1)]),
  );
  assertEquals(await allLines(reader), ["✓"]);
});

Deno.test("cancel ends the lines", async () => {
  const reader = new LineReader(new ReadableStream());
  await reader.cancel();
  assertEquals(await reader.next(), null);
});
