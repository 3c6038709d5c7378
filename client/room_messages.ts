/**
 * The status lines of squad rooms: joining, leaving, epochs and room keys,
 * presence in a room, the relay's ack with its member counts and the
 * members' receipts. `describe` of messages.ts routes these events here.
 *
 * @module
 */

import { formatQber } from "./format.ts";
import { labelOf } from "./messages.ts";
import type { OutboxEntry, OutboxItem } from "./outbox.ts";
import { alert, info, type Line, ok, warn } from "./status_line.ts";

/** What the room layer tells the soldier. */
export type RoomEvent =
  | {
    kind: "room_joined";
    room: string;
    epoch: number;
    leader: string;
    expected: number;
    members: string[];
    created: boolean;
  }
  | { kind: "room_refused"; room: string; message: string }
  | { kind: "room_bad_input"; message: string }
  | { kind: "room_kms_failed"; room: string; message: string }
  | { kind: "room_left"; room: string; terminated: boolean; dropped: number }
  | { kind: "room_key_ready"; room: string; epoch: number; qber: number }
  | { kind: "room_no_key"; room: string; message: string; retryMs: number }
  | {
    kind: "room_epoch";
    room: string;
    epoch: number;
    joined: string[];
    left: string[];
  }
  | { kind: "room_gone"; room: string; message: string }
  | { kind: "room_online"; room: string; member: string; online: boolean }
  | { kind: "room_target"; room: string; members: number; online: number }
  | { kind: "not_in_room"; room: string }
  | { kind: "room_held"; room: string; reason: string; item: OutboxItem }
  | {
    kind: "room_ack";
    room: string;
    entry: OutboxEntry;
    status: "delivered" | "queued" | "dropped";
    delivered: number;
    queued: number;
    reason?: string;
  }
  | { kind: "room_confirmed"; room: string; entry: OutboxEntry; count: number }
  | {
    kind: "room_frame_refused";
    room: string;
    sender: string;
    reason: string;
  };

const KINDS: ReadonlySet<string> = new Set<RoomEvent["kind"]>([
  "room_joined",
  "room_refused",
  "room_bad_input",
  "room_kms_failed",
  "room_left",
  "room_key_ready",
  "room_no_key",
  "room_epoch",
  "room_gone",
  "room_online",
  "room_target",
  "not_in_room",
  "room_held",
  "room_ack",
  "room_confirmed",
  "room_frame_refused",
]);

/**
 * Whether `event`'s line is made here.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { isRoomEvent } from "./room_messages.ts";
 * const notIn = { kind: "not_in_room", room: "squad1" };
 * assertEquals(isRoomEvent(notIn), true);
 * assertEquals(isRoomEvent({ kind: "bye" }), false);
 * ```
 */
export function isRoomEvent(event: { kind: string }): event is RoomEvent {
  return KINDS.has(event.kind);
}

/**
 * The status line of a room event.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { describeRoom } from "./room_messages.ts";
 * assertEquals(
 *   describeRoom({ kind: "room_refused", room: "squad1", message: "room squad1 is full: 4 of 4 members" }).text,
 *   "✗ Cannot join room squad1: room squad1 is full: 4 of 4 members",
 * );
 * ```
 */
export function describeRoom(event: RoomEvent): Line {
  switch (event.kind) {
    case "room_joined": {
      const { room, epoch, leader, expected, members } = event;
      const seats = `${members.length} of ${expected} members: ${
        members.join(", ")
      }`;
      return ok(
        event.created
          ? `✓ Created room ${room} for ${expected} (you lead it; epoch ${epoch}). Chat goes to the room; /to PEER for a direct chat.`
          : `✓ Joined room ${room} (${seats}; leader ${leader}; epoch ${epoch}). Chat goes to the room; /to PEER for a direct chat.`,
      );
    }
    case "room_refused":
      return warn(`✗ Cannot join room ${event.room}: ${event.message}`);
    case "room_bad_input":
      return warn(`⚠ ${event.message}`);
    case "room_kms_failed":
      return warn(`⚠ Room ${event.room}: ${event.message}`);
    case "room_left":
      return info(
        `✓ Left room ${event.room}` +
          (event.terminated ? " (you were the last: the room is gone)" : "") +
          (event.dropped > 0
            ? `; ${event.dropped} unconfirmed line(s) to it dropped`
            : "") +
          ".",
      );
    case "room_key_ready":
      return ok(
        `🔐 [ROOMKEY_DECRYPTED] room=${event.room} epoch=${event.epoch}: room key from the KMS (QBER=${
          formatQber(event.qber)
        }); sender keys go to the members under ML-KEM-768.`,
      );
    case "room_no_key":
      return warn(
        `⚠ No room key for ${event.room} from the KMS: ${event.message}. Retrying every ${
          event.retryMs / 1000
        } s; room lines are kept.`,
      );
    case "room_epoch": {
      const changes = [
        ...event.joined.map((member) => `${member} joined`),
        ...event.left.map((member) => `${member} left`),
      ];
      return info(
        `↻ Room ${event.room} is at epoch ${event.epoch}${
          changes.length > 0 ? ` (${changes.join(", ")})` : ""
        }: re-keying.`,
      );
    }
    case "room_gone":
      return warn(`⚠ Room ${event.room}: ${event.message}`);
    case "room_online":
      return info(
        `[${event.room}] ${event.member} is ${
          event.online ? "online" : "offline"
        }`,
      );
    case "room_target":
      return info(
        `↔ Now talking in room ${event.room} (${event.members} members, ${event.online} online)`,
      );
    case "not_in_room":
      return warn(
        `⚠ You are not in room ${event.room} (/rooms lists yours; /join ${event.room} to join).`,
      );
    case "room_held":
      return info(
        `… kept for room ${event.room} (${event.reason}): ${
          labelOf(event.item)
        }`,
      );
    case "room_ack": {
      const { room, entry, delivered, queued } = event;
      const label = labelOf(entry.item);
      if (event.status === "dropped") {
        return warn(
          `✗ [${room}] relay dropped ${label}${
            event.reason ? ` (${event.reason})` : ""
          }: sent again later.`,
        );
      }
      const members = delivered + queued;
      return info(
        `✓ [${room}] relay accepted (${members} member${
          members === 1 ? "" : "s"
        }${queued > 0 ? `, ${queued} queued offline` : ""}): ${label}`,
      );
    }
    case "room_confirmed":
      return ok(
        `✓✓ [${event.room}] all ${event.count} confirmed: ${
          labelOf(event.entry.item)
        }`,
      );
    case "room_frame_refused":
      return alert(
        `[!] Room ${event.room}: a frame from ${event.sender} refused: ${event.reason}`,
      );
  }
}
