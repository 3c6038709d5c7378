import { assertEquals, assertMatch } from "@std/assert";
import {
  findCommand,
  formatVoiceNote,
  MAX_VOICE_SECONDS,
  playVoice,
  readWav,
  recordVoice,
} from "./voice.ts";

// Debian's sox writing a generated tone: no microphone needed.
const TONE = "sox -n -r 8000 -c 1 {file} synth {seconds} sine 440";
const nothing = () => Promise.resolve(false);

async function withDir(test: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "qstcs-voice-" });
  try {
    await test(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function files(dir: string): Promise<string[]> {
  const names = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names;
}

Deno.test("recordVoice() records the test tone and reads its duration", async () => {
  await withDir(async (dir) => {
    const recorded = await recordVoice({ seconds: 2, dir, recorder: TONE });
    if (!recorded.ok) throw new Error(recorded.message);
    const { path, bytes, seconds } = recorded.value;
    assertEquals(seconds, 2);
    assertMatch(path, /\/voice-[0-9a-f-]{36}\.wav$/);
    assertEquals(await Deno.readFile(path), bytes);
    assertEquals(readWav(bytes), {
      ok: true,
      // SoX's synth writes 32-bit samples unless told otherwise.
      value: { seconds: 2, sampleRate: 8000, channels: 1, bitsPerSample: 32 },
    });
  });
});

Deno.test("recordVoice() says clearly why there is no note", async () => {
  await withDir(async (dir) => {
    const message = async (options: {
      seconds?: number;
      recorder?: string;
    }) => {
      const recorded = await recordVoice({
        seconds: 1,
        dir,
        installed: nothing,
        ...options,
      });
      return recorded.ok ? "recorded" : recorded.message;
    };
    assertEquals(
      await message({}),
      "no recorder: none of arecord, rec, sox is installed; install " +
        'alsa-utils or sox, or give one with --recorder "CMD {file} {seconds}"',
    );
    assertEquals(
      await message({ recorder: "no-such-recorder {file}" }),
      "no-such-recorder is not installed",
    );
    assertMatch(
      await message({ recorder: "sox -n {file} no-such-effect" }),
      /^sox failed \(exit \d+\): .+/,
    );
    assertEquals(
      await message({ recorder: "sox -n -t raw {file} synth 1 sine 440" }),
      "sox: not a WAV file",
    );
    assertMatch(
      await message({ recorder: "true {file}" }),
      /^true wrote no file at .+\/voice-[0-9a-f-]{36}\.wav$/,
    );
    for (const seconds of [0, 1.5, MAX_VOICE_SECONDS + 1]) {
      assertEquals(
        await message({ seconds, recorder: TONE }),
        `a voice note lasts 1 to ${MAX_VOICE_SECONDS} seconds`,
      );
    }
    // Nothing is left behind by a failed recording.
    assertEquals(await files(dir), []);
  });
});

Deno.test("playVoice() plays through a player, or says where the note is", async () => {
  assertEquals(await playVoice("note.wav", { installed: nothing }), {
    ok: false,
    message:
      "no player (none of aplay, play is installed); the voice note is at note.wav",
  });
  assertEquals(await playVoice("note.wav", { player: "true {file}" }), {
    ok: true,
    value: "true",
  });
  assertEquals(await playVoice("note.wav", { player: "false {file}" }), {
    ok: false,
    message: "false failed (exit 1); the voice note is at note.wav",
  });
});

Deno.test("playVoice() plays a recorded note with SoX's play into no device", async () => {
  await withDir(async (dir) => {
    const recorded = await recordVoice({ seconds: 1, dir, recorder: TONE });
    if (!recorded.ok) throw new Error(recorded.message);
    // `-n` is SoX's null output: the note is decoded, nothing is heard.
    const played = await playVoice(recorded.value.path, {
      player: "sox -q {file} -n",
    });
    assertEquals(played, { ok: true, value: "sox" });
  });
});

Deno.test("findCommand() finds what answers on PATH", async () => {
  assertEquals(await findCommand(["no-such-program-q17 {file}", TONE]), {
    ok: true,
    value: TONE,
  });
  assertEquals(await findCommand(["no-such-program-q17 {file}"]), {
    ok: false,
    message: "none of no-such-program-q17 is installed",
  });
});

Deno.test("a received note is announced with its duration and sender", () => {
  assertEquals(
    formatVoiceNote({ seconds: 7, sender: "Soldier_Bravo" }),
    "🎤 0:07 from Soldier_Bravo",
  );
  assertEquals(
    formatVoiceNote({ seconds: 64.6, sender: "Soldier_Alpha" }),
    "🎤 1:05 from Soldier_Alpha",
  );
});
