/**
 * Reading a voice note's WAV (RIFF) header: its format and duration, so a
 * note is announced with its length without decoding any audio.
 *
 * @module
 */

/** The outcome of recording, playing or reading a note. */
export type VoiceResult<T> = { ok: true; value: T } | {
  ok: false;
  message: string;
};

/** What a WAV header says. */
export interface WavInfo {
  /** Duration in seconds. */
  seconds: number;
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
}

/**
 * Reads a WAV (RIFF) header: format, and the duration as the `data`
 * chunk's size over the byte rate. A `data` size past the end (a recorder
 * that streamed, writing 0 or 0xFFFFFFFF) counts the bytes present.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { readWav } from "./voice_wav.ts";
 *
 * // 8000 Hz, mono, 16-bit: 16000 bytes per second; 8000 bytes of data.
 * const wav = new Uint8Array(44 + 8000);
 * const view = new DataView(wav.buffer);
 * wav.set(new TextEncoder().encode("RIFF"), 0);
 * view.setUint32(4, 36 + 8000, true);
 * wav.set(new TextEncoder().encode("WAVEfmt "), 8);
 * view.setUint32(16, 16, true);
 * view.setUint16(20, 1, true);
 * view.setUint16(22, 1, true);
 * view.setUint32(24, 8000, true);
 * view.setUint32(28, 16000, true);
 * view.setUint16(32, 2, true);
 * view.setUint16(34, 16, true);
 * wav.set(new TextEncoder().encode("data"), 36);
 * view.setUint32(40, 8000, true);
 * assertEquals(readWav(wav), {
 *   ok: true,
 *   value: { seconds: 0.5, sampleRate: 8000, channels: 1, bitsPerSample: 16 },
 * });
 * assertEquals(readWav(new Uint8Array(10)), { ok: false, message: "not a WAV file" });
 * ```
 */
export function readWav(bytes: Uint8Array): VoiceResult<WavInfo> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) =>
    String.fromCharCode(...bytes.subarray(at, at + 4));
  if (bytes.length < 12 || tag(0) !== "RIFF" || tag(8) !== "WAVE") {
    return { ok: false, message: "not a WAV file" };
  }
  let format: Omit<WavInfo, "seconds"> & { byteRate: number } | undefined;
  for (let at = 12; at + 8 <= bytes.length;) {
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (tag(at) === "fmt " && size >= 16 && body + 16 <= bytes.length) {
      format = {
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        byteRate: view.getUint32(body + 8, true),
        bitsPerSample: view.getUint16(body + 14, true),
      };
    } else if (tag(at) === "data") {
      if (!format || format.byteRate === 0) {
        return { ok: false, message: "WAV data comes before its format" };
      }
      const present = bytes.length - body;
      const length = size === 0 || size > present ? present : size;
      const { byteRate, ...info } = format;
      return { ok: true, value: { seconds: length / byteRate, ...info } };
    }
    // Chunks are padded to an even length.
    at = body + size + (size % 2);
  }
  return { ok: false, message: "WAV file without a data chunk" };
}
