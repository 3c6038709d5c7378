/**
 * Voice notes: recorded through a recorder command found on the laptop
 * (`arecord`, then SoX's `rec` or `sox`) or given with `--recorder`, kept
 * as a WAV file whose duration is read from its header, played through
 * `aplay` or SoX's `play` where one is installed (else the caller shows the
 * file's path). The note travels as an encrypted attachment like any file;
 * this module only records, measures, plays and formats.
 *
 * Commands run without a shell: a template is split on whitespace and
 * `{file}` and `{seconds}` are replaced inside its words, so no file name
 * or number can inject a command. A program the process may not run (its
 * Deno run permission) counts as not installed rather than prompting.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { formatVoiceNote, recorderCommand } from "./voice.ts";
 *
 * assertEquals(formatVoiceNote({ seconds: 7.2, sender: "Soldier_Bravo" }), "🎤 0:07 from Soldier_Bravo");
 * assertEquals(
 *   recorderCommand("sox -n -r 8000 -c 1 {file} synth {seconds} sine 440", {
 *     file: "state/voice/a.wav",
 *     seconds: 3,
 *   }),
 *   ["sox", "-n", "-r", "8000", "-c", "1", "state/voice/a.wav", "synth", "3", "sine", "440"],
 * );
 * ```
 *
 * @module
 */

import { readWav, type VoiceResult } from "./voice_wav.ts";

export { readWav, type VoiceResult, type WavInfo } from "./voice_wav.ts";

/** Default length of `/voice` without a number, in seconds. */
export const DEFAULT_VOICE_SECONDS = 10;
/**
 * Longest voice note, in seconds: two minutes of 16 kHz 16-bit mono are
 * 3.8 MB, under the attachments' 8 MiB default limit.
 */
export const MAX_VOICE_SECONDS = 120;

/**
 * The recorders tried in order, as templates: 16 kHz 16-bit mono WAV (ALSA's
 * `arecord`; SoX's `rec`, and `sox` reading the default device with `-d`).
 */
export const RECORDERS: readonly string[] = [
  "arecord -q -f S16_LE -r 16000 -c 1 -t wav -d {seconds} {file}",
  "rec -q -r 16000 -c 1 -b 16 {file} trim 0 {seconds}",
  "sox -q -d -r 16000 -c 1 -b 16 {file} trim 0 {seconds}",
];
/** The players tried in order; `{file}` is the note. */
export const PLAYERS: readonly string[] = ["aplay -q {file}", "play -q {file}"];

/** Whether a program answers on PATH; the default runs `NAME --version`. */
export type IsInstalled = (program: string) => Promise<boolean>;

/** A recorded note. */
export interface VoiceRecording {
  /** Where the WAV file is. */
  path: string;
  /** Its bytes. */
  bytes: Uint8Array;
  /** Its duration from the header, in seconds. */
  seconds: number;
}

/**
 * The program and arguments of `template` for `file` and `seconds`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { recorderCommand } from "./voice.ts";
 *
 * assertEquals(recorderCommand("rec --out={file}", { file: "a b.wav", seconds: 1 }), [
 *   "rec",
 *   "--out=a b.wav",
 * ]);
 * ```
 */
export function recorderCommand(
  template: string,
  values: { file: string; seconds?: number },
): string[] {
  return template.trim().split(/\s+/).map((word) =>
    word.replaceAll("{file}", values.file).replaceAll(
      "{seconds}",
      String(values.seconds ?? ""),
    )
  );
}

/**
 * The first template of `candidates` whose program is installed, or a
 * message naming what was looked for.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { findCommand, RECORDERS } from "./voice.ts";
 *
 * const only = (name: string) => (program: string) => Promise.resolve(program === name);
 * assertEquals(await findCommand(RECORDERS, { installed: only("rec") }), {
 *   ok: true,
 *   value: RECORDERS[1],
 * });
 * assertEquals((await findCommand(RECORDERS, { installed: only("x") })).ok, false);
 * ```
 */
export async function findCommand(
  candidates: readonly string[],
  options: { installed?: IsInstalled } = {},
): Promise<VoiceResult<string>> {
  const installed = options.installed ?? answersOnPath;
  const programs = candidates.map((template) => template.split(" ")[0]);
  for (const [i, program] of programs.entries()) {
    if (await installed(program)) return { ok: true, value: candidates[i] };
  }
  return {
    ok: false,
    message: `none of ${programs.join(", ")} is installed`,
  };
}

/**
 * Records a note of `seconds` into `dir` with `recorder` (a template) or
 * the first installed of {@linkcode RECORDERS}; a clear message when there
 * is no recorder, it fails, or what it wrote is not a WAV file.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { recordVoice } from "./voice.ts";
 *
 * const dir = await Deno.makeTempDir();
 * // The tests' recorder: Debian's sox writing a tone, no microphone.
 * const recorder = "sox -n -r 8000 -c 1 {file} synth {seconds} sine 440";
 * const note = await recordVoice({ seconds: 1, dir, recorder });
 * assertEquals(note.ok && note.value.seconds, 1);
 * const none = await recordVoice({
 *   seconds: 1,
 *   dir,
 *   installed: () => Promise.resolve(false),
 * });
 * assertEquals(none.ok, false);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function recordVoice(
  options: {
    seconds: number;
    dir: string;
    recorder?: string;
    installed?: IsInstalled;
  },
): Promise<VoiceResult<VoiceRecording>> {
  const { seconds, dir } = options;
  if (
    !Number.isInteger(seconds) || seconds < 1 || seconds > MAX_VOICE_SECONDS
  ) {
    return {
      ok: false,
      message: `a voice note lasts 1 to ${MAX_VOICE_SECONDS} seconds`,
    };
  }
  const found = await chosen(options.recorder, RECORDERS, options);
  if (!found.ok) {
    return {
      ok: false,
      message: `no recorder: ${found.message}; install alsa-utils or sox, ` +
        `or give one with --recorder "CMD {file} {seconds}"`,
    };
  }
  await Deno.mkdir(dir, { recursive: true });
  const path = `${dir}/voice-${crypto.randomUUID()}.wav`;
  const ran = await run(recorderCommand(found.value, { file: path, seconds }), {
    timeoutMs: (seconds + 15) * 1000,
  });
  if (!ran.ok) return await failed(path, ran.message);
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch {
    return await failed(path, `${ran.value} wrote no file at ${path}`);
  }
  const info = readWav(bytes);
  if (!info.ok) return await failed(path, `${ran.value}: ${info.message}`);
  return { ok: true, value: { path, bytes, seconds: info.value.seconds } };
}

/**
 * Plays the note at `path` with `player` (a template) or the first
 * installed of {@linkcode PLAYERS}; without one, the message says where the
 * file is. The value is the player's program name.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { playVoice } from "./voice.ts";
 *
 * const played = await playVoice("downloads/voice-1.wav", {
 *   installed: () => Promise.resolve(false),
 * });
 * assertEquals(played, {
 *   ok: false,
 *   message: "no player (none of aplay, play is installed); " +
 *     "the voice note is at downloads/voice-1.wav",
 * });
 * ```
 */
export async function playVoice(
  path: string,
  options: { player?: string; installed?: IsInstalled } = {},
): Promise<VoiceResult<string>> {
  const found = await chosen(options.player, PLAYERS, options);
  if (!found.ok) {
    return {
      ok: false,
      message: `no player (${found.message}); the voice note is at ${path}`,
    };
  }
  const ran = await run(recorderCommand(found.value, { file: path }), {
    timeoutMs: (MAX_VOICE_SECONDS + 15) * 1000,
  });
  return ran.ok ? ran : {
    ok: false,
    message: `${ran.message}; the voice note is at ${path}`,
  };
}

/**
 * A duration as `m:ss`, rounded to the second.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { formatDuration } from "./voice.ts";
 *
 * assertEquals([formatDuration(7.4), formatDuration(59.6), formatDuration(125)], [
 *   "0:07",
 *   "1:00",
 *   "2:05",
 * ]);
 * ```
 */
export function formatDuration(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

/** How a received note is announced: `🎤 0:07 from Soldier_Bravo`. */
export function formatVoiceNote(
  note: { seconds: number; sender: string },
): string {
  return `🎤 ${formatDuration(note.seconds)} from ${note.sender}`;
}

// The template given, else the first installed candidate.
async function chosen(
  given: string | undefined,
  candidates: readonly string[],
  options: { installed?: IsInstalled },
): Promise<VoiceResult<string>> {
  return given !== undefined
    ? { ok: true, value: given }
    : await findCommand(candidates, options);
}

async function answersOnPath(program: string): Promise<boolean> {
  if (!mayRun(program)) return false;
  try {
    const { success } = await new Deno.Command(program, {
      args: ["--version"],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output();
    // `aplay --version` exits 0, SoX's too; a missing program throws.
    return success;
  } catch {
    return false;
  }
}

// Runs argv without a shell; the value is the program's name.
async function run(
  argv: string[],
  options: { timeoutMs: number },
): Promise<VoiceResult<string>> {
  const [program, ...args] = argv;
  if (!mayRun(program)) {
    return {
      ok: false,
      message: `the client may not run ${program} (deno.json's client ` +
        `permissions list the programs it may run)`,
    };
  }
  try {
    const output = await new Deno.Command(program, {
      args,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      signal: AbortSignal.timeout(options.timeoutMs),
    }).output();
    if (output.success) return { ok: true, value: program };
    const said = new TextDecoder().decode(output.stderr).trim().split("\n")
      .at(-1);
    const how = output.signal
      ? `was stopped (${output.signal})`
      : `failed (exit ${output.code})`;
    return {
      ok: false,
      message: `${program} ${how}${said ? `: ${said.slice(0, 200)}` : ""}`,
    };
  } catch (error) {
    return {
      ok: false,
      message: error instanceof Deno.errors.NotFound
        ? `${program} is not installed`
        : `${program} could not run: ${
          error instanceof Error ? error.message : error
        }`,
    };
  }
}

// Asked first: a command outside the permission would make Deno prompt on
// the terminal, freezing the chat.
function mayRun(program: string): boolean {
  return Deno.permissions.querySync({ name: "run", command: program })
    .state === "granted";
}

async function failed<T>(
  path: string,
  message: string,
): Promise<VoiceResult<T>> {
  await Deno.remove(path).catch(() => {});
  return { ok: false, message };
}
