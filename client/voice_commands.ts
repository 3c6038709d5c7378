/**
 * Voice notes in the chat: `/voice [SECONDS]` records one (voice.ts: the
 * `--recorder` template or the first of `arecord`, `rec`, `sox` on PATH)
 * and sends it as an encrypted attachment marked voice with its length, to
 * the peer or the room talked in; each voice note received gets a number,
 * and `/play N` plays it (`aplay`, `play`) or says where its file is.
 *
 * @module
 */

import type { ClientEvent } from "./messages.ts";
import type { OutboxItem } from "./outbox.ts";
import {
  DEFAULT_VOICE_SECONDS,
  type IsInstalled,
  playVoice,
  recordVoice,
} from "./voice.ts";

/** Options for {@linkcode VoiceNotes}. */
export interface VoiceNotesOptions {
  /** Where recordings are written (the device's state folder's `voice/`). */
  dir: string;
  /** `--recorder`, if given. */
  recorder?: string;
  /** Sends the recorded note as an attachment. */
  attach: (item: Extract<OutboxItem, { kind: "file" }>) => void;
  /** Shows a status line. */
  say: (event: ClientEvent) => void;
  /** Finds programs on PATH (tests give their own). */
  installed?: IsInstalled;
  /** The player, instead of `aplay`/`play` (tests). */
  player?: string;
}

/**
 * `/voice` and `/play`, and the numbers of received notes.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { VoiceNotes } from "./voice_commands.ts";
 * const notes = new VoiceNotes({ dir: "state/voice", attach: () => {}, say: () => {} });
 * const event = notes.numbered({
 *   kind: "file_saved", name: "v.wav", bytes: 9, sender: "Soldier_Bravo",
 *   path: "downloads/Soldier_Bravo/v.wav", voice: 7,
 * });
 * assertEquals(event.kind === "file_saved" && event.note, 1);
 * ```
 */
export class VoiceNotes {
  readonly #options: VoiceNotesOptions;
  readonly #received: string[] = [];

  /** Creates the voice notes of one client. */
  constructor(options: VoiceNotesOptions) {
    this.#options = options;
  }

  /** A received voice note gets its number for `/play N`. */
  numbered(event: ClientEvent): ClientEvent {
    if (event.kind !== "file_saved" || event.voice === undefined) return event;
    this.#received.push(event.path);
    return { ...event, note: this.#received.length };
  }

  /** `/voice [SECONDS]`: records a note and sends it. */
  async record(argument: string): Promise<void> {
    const { say } = this.#options;
    const seconds = argument === "" ? DEFAULT_VOICE_SECONDS : Number(argument);
    say({ kind: "voice_recording", seconds });
    const recorded = await recordVoice({
      seconds,
      dir: this.#options.dir,
      recorder: this.#options.recorder,
      installed: this.#options.installed,
    });
    if (!recorded.ok) {
      return say({ kind: "voice_failed", message: recorded.message });
    }
    const { path, bytes } = recorded.value;
    // The note is sent from memory; the recording is not kept.
    await Deno.remove(path).catch(() => {});
    this.#options.attach({
      kind: "file",
      name: path.slice(path.lastIndexOf("/") + 1),
      data: bytes,
      voice: Math.round(recorded.value.seconds),
    });
  }

  /** `/play N`: plays the Nth voice note received. */
  async play(argument: string): Promise<void> {
    const { say } = this.#options;
    const count = this.#received.length;
    const n = Number(argument);
    if (!Number.isSafeInteger(n) || n < 1 || n > count) {
      return say({ kind: "voice_no_note", n: argument, count });
    }
    const path = this.#received[n - 1];
    const played = await playVoice(path, {
      player: this.#options.player,
      installed: this.#options.installed,
    });
    say(
      played.ok
        ? { kind: "voice_played", n }
        : { kind: "voice_failed", message: played.message },
    );
  }
}
