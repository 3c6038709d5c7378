/**
 * The status lines of attachments and voice notes: sending one, one
 * received and saved (`🎤 0:07 from Soldier_Bravo` for a voice note, with
 * its room if it came in one), one refused, recording and playing. `describe`
 * of messages.ts routes these events here.
 *
 * @module
 */

import { formatBytes } from "./format.ts";
import type { IncomingEvent } from "./incoming.ts";
import { info, type Line, ok, warn } from "./status_line.ts";
import { formatDuration } from "./voice.ts";

/** The events whose line is made here. */
export type AttachmentEvent =
  | { kind: "attach_failed"; path: string; message: string }
  | { kind: "sending_file"; name: string; bytes: number; peer: string }
  | Extract<IncomingEvent, { kind: "file_saved" | "file_failed" }>
  | { kind: "voice_recording"; seconds: number }
  | { kind: "voice_failed"; message: string }
  | { kind: "voice_no_note"; n: string; count: number }
  | { kind: "voice_played"; n: number };

const KINDS: ReadonlySet<string> = new Set<AttachmentEvent["kind"]>([
  "attach_failed",
  "sending_file",
  "file_saved",
  "file_failed",
  "voice_recording",
  "voice_failed",
  "voice_no_note",
  "voice_played",
]);

/**
 * Whether `event`'s line is made here.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { isAttachmentEvent } from "./attachment_messages.ts";
 * assertEquals(isAttachmentEvent({ kind: "voice_played" }), true);
 * assertEquals(isAttachmentEvent({ kind: "bye" }), false);
 * ```
 */
export function isAttachmentEvent(
  event: { kind: string },
): event is AttachmentEvent {
  return KINDS.has(event.kind);
}

/**
 * The line of an attachment event.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { describeAttachment } from "./attachment_messages.ts";
 * assertEquals(
 *   describeAttachment({ kind: "voice_recording", seconds: 5 }).text,
 *   "🎤 Recording a 5 s voice note…",
 * );
 * ```
 */
export function describeAttachment(event: AttachmentEvent): Line {
  switch (event.kind) {
    case "attach_failed":
      return warn(`✗ Cannot send ${event.path}: ${event.message}`);
    case "sending_file":
      return info(
        `📎 Sending ${event.name} (${
          formatBytes(event.bytes)
        }) to ${event.peer}`,
      );
    case "file_saved": {
      const where = event.room === undefined ? "" : `[${event.room}] `;
      if (event.voice !== undefined) {
        return ok(
          `${where}🎤 ${
            formatDuration(event.voice)
          } from ${event.sender} → ${event.path}${
            event.note === undefined ? "" : ` (/play ${event.note})`
          }`,
        );
      }
      return ok(
        `${where}📎 Received ${event.name} (${
          formatBytes(event.bytes)
        }) from ${event.sender} → ${event.path}`,
      );
    }
    case "file_failed":
      return warn(
        `${
          event.room === undefined ? "" : `[${event.room}] `
        }✗ Attachment ${event.name} from ${event.sender} not saved: ${event.reason}`,
      );
    case "voice_recording":
      return info(`🎤 Recording a ${event.seconds} s voice note…`);
    case "voice_failed":
      return warn(`✗ Voice note: ${event.message}`);
    case "voice_no_note":
      return warn(
        event.count === 0
          ? "⚠ No voice note received yet."
          : `⚠ /play takes a voice note's number, 1 to ${event.count}, not "${event.n}"`,
      );
    case "voice_played":
      return ok(`▶ Played voice note ${event.n}.`);
  }
}
