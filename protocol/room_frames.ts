/**
 * The frames of squad rooms between clients and the relay, and `watch`,
 * which narrows a connection's presence to the devices it cares about.
 *
 * Client → relay: {@linkcode RoomJoinFrame}, {@linkcode RoomLeaveFrame}, a
 * `room_chat` frame (its whole type, `RoomChatFrame`, is protocol/room_packet.ts';
 * the relay reads only {@linkcode RoomChatRouting}) and {@linkcode WatchFrame}.
 * Relay → client: {@linkcode RoomPresenceFrame}, the `room_chat` frames of
 * other members ({@linkcode ForwardedRoomChat}), acks with member counts and
 * `room_refused` errors.
 *
 * The readers here check only what crosses the relay: names, ids, sizes.
 * A membership is the KMS's signed statement (protocol/room.ts): the relay
 * verifies it with `verifyMembership`, and so does a client that gets one in
 * a `room_presence` frame, because the relay is not trusted with who is in
 * a room.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { readRoomRouting } from "./room_frames.ts";
 *
 * assertEquals(
 *   readRoomRouting({
 *     type: "room_chat",
 *     sender: "Soldier_Alpha",
 *     room: "squad1",
 *     id: "m-1",
 *     ciphertext: "…",
 *   }),
 *   {
 *     ok: true,
 *     envelope: { type: "room_chat", sender: "Soldier_Alpha", room: "squad1", id: "m-1" },
 *   },
 * );
 * assertEquals(readRoomRouting({ type: "room_join", room: "a\u0007", membership: "x.y" }), {
 *   ok: false,
 *   code: "room_refused",
 *   message: "room name has a control character; use letters, digits, _ . -",
 * });
 * ```
 *
 * @module
 */

import { checkRoomName, MAX_MEMBERSHIP_LENGTH } from "./room.ts";
import {
  type ErrorCode,
  isDeviceId,
  isShortId,
  MAX_ID_LENGTH,
} from "./types.ts";

/** Most devices one connection may watch. */
export const MAX_WATCH_DEVICES = 32;

/** What a `room_chat` frame carries: see protocol/room_packet.ts. */
export type RoomChatKind = "hello" | "key" | "msg";

/**
 * Joins a room: the KMS's membership of it, which must list the sender.
 * The relay keeps, per room, the verified membership of the highest epoch;
 * it answers every online member with a {@linkcode RoomPresenceFrame}.
 */
export interface RoomJoinFrame {
  type: "room_join";
  /** The room's name (`checkRoomName`). */
  room: string;
  /** The KMS's signed membership of `room` (`RoomState.membership`). */
  membership: string;
}

/**
 * Leaves a room: the KMS's membership of a higher epoch without the
 * sender (`RoomLeaveResponse.membership`). The relay stores it and tells
 * the remaining members.
 */
export interface RoomLeaveFrame {
  type: "room_leave";
  /** The room's name. */
  room: string;
  /** The room's new membership, without the sender. */
  membership: string;
}

/**
 * The fields of a `room_chat` frame the relay reads; every other field
 * (epoch, kind, nonce, ciphertext, signature, …) it forwards unread.
 */
export interface RoomChatRouting {
  type: "room_chat";
  /** The author: the connection's device, a member of the room. */
  sender: string;
  /** The room. */
  room: string;
  /** Message id, echoed in the relay's one ack. */
  id: string;
  /** A member, for a frame meant for it alone (key distribution, receipt). */
  to?: string;
}

/**
 * Says which devices a connection cares about: from then on its
 * `registered` and `presence` frames list only itself and those of them
 * online, and it hears only of their coming and going. Each `watch`
 * replaces the last; a register frame may carry the list as `watch`.
 */
export interface WatchFrame {
  type: "watch";
  /** At most {@linkcode MAX_WATCH_DEVICES} device ids. */
  devices: string[];
}

/**
 * Sent by the relay to a room's online members whenever its membership
 * changes or a member comes or goes. `membership` is the KMS's signed text
 * as the relay verified it; a client verifies it again.
 */
export interface RoomPresenceFrame {
  type: "room_presence";
  /** The room. */
  room: string;
  /** The epoch of `membership`. */
  epoch: number;
  /** The newest membership the relay verified. */
  membership: string;
  /** Members registered with the relay now, sorted. */
  online: string[];
}

/**
 * A `room_chat` frame as a member receives it, read by
 * {@linkcode readForwardedRoomChat}: its routing fields checked, every field
 * kept for protocol/room_packet.ts to check and decrypt.
 */
export interface ForwardedRoomChat extends RoomChatRouting {
  [field: string]: unknown;
}

/** Any room frame, and `watch` (the others are types.ts' `RelayFrame`). */
export type RoomFrame =
  | RoomJoinFrame
  | RoomLeaveFrame
  | ForwardedRoomChat
  | WatchFrame
  | RoomPresenceFrame;

/** The routing fields of a client's room frame, as the relay reads them. */
export type RoomEnvelope =
  | Omit<RoomJoinFrame, "type"> & { type: "room_join" }
  | Omit<RoomLeaveFrame, "type"> & { type: "room_leave" }
  | RoomChatRouting
  | WatchFrame;

/** Outcome of {@linkcode readRoomRouting}. */
export type RoomRoutingResult =
  | { ok: true; envelope: RoomEnvelope }
  | { ok: false; code: ErrorCode; message: string };

/** Outcome of {@linkcode readWatchList}. */
export type WatchListResult =
  | { ok: true; devices: string[] }
  | { ok: false; message: string };

type Fields = Record<string, unknown>;
type Refusal = { ok: false; code: ErrorCode; message: string };

/** Whether `type` names a client frame {@linkcode readRoomRouting} reads. */
export function isRoomFrameType(type: unknown): type is RoomEnvelope["type"] {
  return type === "room_join" || type === "room_leave" ||
    type === "room_chat" || type === "watch";
}

/**
 * Reads the routing fields of a client's `room_join`, `room_leave`,
 * `room_chat` or `watch` frame (`fields.type` says which, see
 * {@linkcode isRoomFrameType}). A bad room name or membership text is
 * `room_refused`; a missing field `missing_field`, a bad one `bad_field`.
 */
export function readRoomRouting(fields: Fields): RoomRoutingResult {
  const { type } = fields;
  if (type === "watch") {
    const watched = readWatchList(fields.devices);
    return watched.ok
      ? { ok: true, envelope: { type, devices: watched.devices } }
      : refusal("bad_field", watched.message);
  }
  if (fields.room === undefined) {
    return refusal("missing_field", "room is required");
  }
  const name = checkRoomName(fields.room);
  if (!name.ok) return refusal("room_refused", name.message);
  const { room } = name;
  if (type === "room_join" || type === "room_leave") {
    const { membership } = fields;
    if (membership === undefined) {
      return refusal("missing_field", "membership is required");
    }
    if (
      typeof membership !== "string" ||
      membership.length > MAX_MEMBERSHIP_LENGTH
    ) {
      return refusal(
        "room_refused",
        "membership must be the KMS's signed membership text " +
          `(at most ${MAX_MEMBERSHIP_LENGTH} characters)`,
      );
    }
    return { ok: true, envelope: { type, room, membership } };
  }
  if (type !== "room_chat") {
    return refusal("unknown_type", "unknown frame type");
  }
  const { sender, id, to } = fields;
  if (sender === undefined) {
    return refusal("missing_field", "sender is required");
  }
  if (!isDeviceId(sender)) {
    return refusal("bad_field", "sender must be a device id");
  }
  if (id === undefined) return refusal("missing_field", "id is required");
  if (!isShortId(id)) {
    return refusal("bad_field", `id must be 1 to ${MAX_ID_LENGTH} characters`);
  }
  if (to === undefined) {
    return { ok: true, envelope: { type, sender, room, id } };
  }
  if (!isDeviceId(to)) return refusal("bad_field", "to must be a device id");
  return { ok: true, envelope: { type, sender, room, id, to } };
}

/**
 * Reads a watch list (a `watch` frame's `devices`, a register frame's
 * `watch`): at most {@linkcode MAX_WATCH_DEVICES} device ids, repeats
 * dropped.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { readWatchList } from "./room_frames.ts";
 *
 * assertEquals(readWatchList(["b", "a", "b"]), { ok: true, devices: ["b", "a"] });
 * assertEquals(readWatchList("a"), {
 *   ok: false,
 *   message: "devices must be a list of at most 32 device ids",
 * });
 * ```
 */
export function readWatchList(value: unknown): WatchListResult {
  if (
    !Array.isArray(value) || value.length > MAX_WATCH_DEVICES ||
    !value.every(isDeviceId)
  ) {
    return {
      ok: false,
      message:
        `devices must be a list of at most ${MAX_WATCH_DEVICES} device ids`,
    };
  }
  return { ok: true, devices: [...new Set(value)] };
}

/**
 * Reads a `room_presence` frame from the relay, or says what is wrong.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { readRoomPresence } from "./room_frames.ts";
 *
 * const frame = {
 *   type: "room_presence" as const,
 *   room: "squad1",
 *   epoch: 2,
 *   membership: "x.y",
 *   online: ["Soldier_Alpha"],
 * };
 * assertEquals(readRoomPresence(frame), frame);
 * assertEquals(readRoomPresence({ ...frame, epoch: -1 }), "epoch must be a count");
 * ```
 */
export function readRoomPresence(fields: Fields): RoomPresenceFrame | string {
  const { room, epoch, membership, online } = fields;
  const name = checkRoomName(room);
  if (!name.ok) return name.message;
  if (!Number.isSafeInteger(epoch) || (epoch as number) < 0) {
    return "epoch must be a count";
  }
  if (typeof membership !== "string") return "membership must be a string";
  if (!Array.isArray(online) || !online.every(isDeviceId)) {
    return "online must be a list of device ids";
  }
  return {
    type: "room_presence",
    room: name.room,
    epoch: epoch as number,
    membership,
    online,
  };
}

/**
 * Reads a `room_chat` frame the relay forwarded: its routing fields are
 * checked, and every field comes back for protocol/room_packet.ts.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { readForwardedRoomChat } from "./room_frames.ts";
 *
 * const frame = { type: "room_chat", sender: "a", room: "r", id: "m-1", seq: 3 };
 * assertEquals(readForwardedRoomChat(frame), frame);
 * assertEquals(readForwardedRoomChat({ ...frame, to: "" }), "to must be a device id");
 * ```
 */
export function readForwardedRoomChat(
  fields: Fields,
): ForwardedRoomChat | string {
  const read = readRoomRouting({ ...fields, type: "room_chat" });
  return read.ok
    ? { ...fields, ...read.envelope } as ForwardedRoomChat
    : read.message;
}

function refusal(code: ErrorCode, message: string): Refusal {
  return { ok: false, code, message };
}
