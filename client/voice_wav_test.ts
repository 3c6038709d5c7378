import { assertEquals } from "@std/assert";
import { readWav } from "./voice_wav.ts";

// A RIFF file of `chunks` (tag, body) after "WAVE".
function riff(chunks: [string, Uint8Array, number?][]): Uint8Array {
  const parts: number[] = [];
  const text = (s: string) => [...s].map((c) => c.charCodeAt(0));
  const u32 = (n: number) =>
    [n, n >>> 8, n >>> 16, n >>> 24].map((b) => b & 255);
  for (const [tag, body, size] of chunks) {
    parts.push(...text(tag), ...u32(size ?? body.length), ...body);
    if (body.length % 2) parts.push(0);
  }
  return Uint8Array.from([
    ...text("RIFF"),
    ...u32(4 + parts.length),
    ...text("WAVE"),
    ...parts,
  ]);
}

// fmt of PCM at `rate` Hz, mono, 16-bit.
function fmt(rate: number): Uint8Array {
  const body = new Uint8Array(16);
  const view = new DataView(body.buffer);
  view.setUint16(0, 1, true);
  view.setUint16(2, 1, true);
  view.setUint32(4, rate, true);
  view.setUint32(8, rate * 2, true);
  view.setUint16(12, 2, true);
  view.setUint16(14, 16, true);
  return body;
}

Deno.test("readWav() reads the data chunk's length over the byte rate", () => {
  const data = new Uint8Array(16000);
  assertEquals(readWav(riff([["fmt ", fmt(8000)], ["data", data]])), {
    ok: true,
    value: { seconds: 1, sampleRate: 8000, channels: 1, bitsPerSample: 16 },
  });
  // An odd-sized chunk before is skipped with its pad byte.
  const list = new Uint8Array(5);
  const padded = readWav(
    riff([["fmt ", fmt(8000)], ["LIST", list], ["data", data]]),
  );
  assertEquals(padded.ok && padded.value.seconds, 1);
  // A streaming recorder's sizes (0 or 0xFFFFFFFF): the bytes present count.
  for (const size of [0, 0xffffffff]) {
    const streamed = readWav(
      riff([["fmt ", fmt(8000)], ["data", data, size]]),
    );
    assertEquals(streamed.ok && streamed.value.seconds, 1);
  }
  assertEquals(readWav(riff([["data", data], ["fmt ", fmt(8000)]])), {
    ok: false,
    message: "WAV data comes before its format",
  });
  assertEquals(readWav(riff([["fmt ", fmt(8000)]])), {
    ok: false,
    message: "WAV file without a data chunk",
  });
  assertEquals(readWav(new TextEncoder().encode("RIFF....AVI LIST")), {
    ok: false,
    message: "not a WAV file",
  });
});
