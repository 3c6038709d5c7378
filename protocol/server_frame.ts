/**
 * The frames a client receives from the relay, read once at the trust
 * boundary: the relay's own frames (challenge, registered, presence, ack,
 * pong, error, room_presence) and the chat packets and room frames it
 * forwards from other devices. What is not one of them comes back as a
 * reason, never as a half-checked object.
 *
 * @module
 */

import { PacketError, parseChatPacket } from "./packet.ts";
import type { ChallengeFrame } from "./registration.ts";
import {
  type ForwardedRoomChat,
  readForwardedRoomChat,
  readRoomPresence,
  type RoomPresenceFrame,
} from "./room_frames.ts";
import {
  type AckFrame,
  type AckStatus,
  type ChatFrame,
  type DropReason,
  type ErrorCode,
  type ErrorFrame,
  isShortId,
  type PongFrame,
  type PresenceFrame,
  type QueueReason,
  type RegisteredFrame,
} from "./types.ts";

/**
 * The close reason of the relay's close code 1001 (going away, RFC 6455
 * 7.4.1) when it stops: clients tell a restarting relay from one that closed
 * a silent connection (also 1001, another reason).
 */
export const RELAY_SHUTDOWN_REASON = "relay shutting down";

/** Any frame the relay sends to a client. */
export type ServerFrame =
  | ChallengeFrame
  | RegisteredFrame
  | PresenceFrame
  | AckFrame
  | PongFrame
  | ErrorFrame
  | RoomPresenceFrame
  | ChatFrame
  | ForwardedRoomChat;

/** The frames the relay makes itself (chat and room frames it only forwards). */
export type RelayOwnFrame = Exclude<ServerFrame, ChatFrame | ForwardedRoomChat>;

/** A frame that is not a {@linkcode ServerFrame}. */
export interface ServerFrameRefusal {
  ok: false;
  /** What is wrong with it. */
  reason: string;
  /**
   * The frame's type, when it named a known one but its fields are bad: a
   * malformed `chat` or `room_chat` may be tampering, other junk is only
   * noise.
   */
  type?: ServerFrame["type"];
}

/** Outcome of {@linkcode parseServerFrame}. */
export type ServerFrameResult =
  | { ok: true; frame: ServerFrame }
  | ServerFrameRefusal;

// Records keyed by each union, so a new member the parser does not accept
// fails to compile here.
const ACK_STATUSES: Record<AckStatus, true> = {
  delivered: true,
  queued: true,
  dropped: true,
};
const ACK_REASONS: Record<QueueReason | DropReason, true> = {
  offline: true,
  backpressure: true,
  queue_full: true,
  queue_bytes: true,
  relay_full: true,
  expired: true,
  rate_limited: true,
  no_recipients: true,
  unavailable: true,
};
const ERROR_CODES: Record<ErrorCode, true> = {
  bad_json: true,
  binary_frame: true,
  missing_field: true,
  bad_field: true,
  frame_too_large: true,
  not_registered: true,
  spoofed_sender: true,
  duplicate_device: true,
  rate_limited: true,
  unknown_type: true,
  ticket_required: true,
  ticket_invalid: true,
  room_refused: true,
  unavailable: true,
};

type Fields = Record<string, unknown>;
type Reader = (fields: Fields) => ServerFrame | string;

const READERS: Record<ServerFrame["type"], Reader> = {
  challenge: ({ nonce }) =>
    typeof nonce === "string" && /^[A-Za-z0-9_-]{43}$/.test(nonce)
      ? { type: "challenge", nonce }
      : "nonce must be 32 bytes of base64url",
  registered: (fields) => {
    const { device_id, online, resume } = fields;
    if (typeof device_id !== "string") return "device_id must be a string";
    if (!isStringList(online)) return "online must be a list of strings";
    if (typeof resume !== "string") return "resume must be a string";
    return { type: "registered", device_id, online, resume };
  },
  presence: ({ online }) =>
    isStringList(online)
      ? { type: "presence", online }
      : "online must be a list of strings",
  ack: ({ id, status, reason, delivered, queued, dropped }) => {
    if (!isShortId(id)) return "id must be a short id";
    if (!isKey(ACK_STATUSES, status)) return "status is not an ack status";
    if (reason !== undefined && !isKey(ACK_REASONS, reason)) {
      return "reason is not an ack reason";
    }
    if (!isOptionalCount(delivered) || !isOptionalCount(dropped)) {
      return "delivered and dropped must be counts";
    }
    if (!isOptionalCount(queued)) return "queued must be a count";
    return {
      type: "ack",
      id,
      status,
      ...(reason === undefined ? {} : { reason }),
      ...(delivered === undefined ? {} : { delivered }),
      ...(queued === undefined ? {} : { queued }),
      ...(dropped === undefined ? {} : { dropped }),
    };
  },
  pong: ({ id }) =>
    typeof id === "string" ? { type: "pong", id } : "id must be a string",
  error: ({ code, message }) => {
    if (!isKey(ERROR_CODES, code)) return "code is not an error code";
    if (typeof message !== "string") return "message must be a string";
    return { type: "error", code, message };
  },
  room_presence: readRoomPresence,
  room_chat: readForwardedRoomChat,
  chat: (fields) => {
    try {
      return parseChatPacket(fields);
    } catch (error) {
      if (error instanceof PacketError) return error.message;
      throw error;
    }
  },
};

/**
 * Reads a text frame from the relay. A chat frame comes back with only its
 * packet fields (the others are not authenticated).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseServerFrame } from "./server_frame.ts";
 *
 * assertEquals(
 *   parseServerFrame('{"type":"ack","id":"m-1","status":"queued","reason":"offline"}'),
 *   {
 *     ok: true,
 *     frame: { type: "ack", id: "m-1", status: "queued", reason: "offline" },
 *   },
 * );
 * assertEquals(parseServerFrame('{"type":"ack","id":"m-1","status":"lost"}'), {
 *   ok: false,
 *   reason: "ack: status is not an ack status",
 *   type: "ack",
 * });
 * assertEquals(parseServerFrame("hello"), { ok: false, reason: "not JSON" });
 * ```
 */
export function parseServerFrame(text: string): ServerFrameResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: "not JSON" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, reason: "not a JSON object" };
  }
  const fields = value as Fields;
  const { type } = fields;
  if (!isKey(READERS, type)) return { ok: false, reason: "unknown type" };
  const frame = READERS[type](fields);
  return typeof frame === "string"
    ? { ok: false, reason: `${type}: ${frame}`, type }
    : { ok: true, frame };
}

function isKey<K extends string>(
  record: Record<K, unknown>,
  value: unknown,
): value is K {
  return typeof value === "string" && Object.hasOwn(record, value);
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((id) => typeof id === "string");
}

function isOptionalCount(value: unknown): value is number | undefined {
  return value === undefined ||
    (typeof value === "number" && Number.isSafeInteger(value) && value >= 0);
}
