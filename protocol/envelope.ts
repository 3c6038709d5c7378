/**
 * Reads the routing fields of a frame a client sent to the relay, so the
 * relay can route it without touching ciphertext, nonce or key fields.
 *
 * @module
 */

import {
  isRoomFrameType,
  readRoomRouting,
  type RoomEnvelope,
} from "./room_frames.ts";
import {
  type ErrorCode,
  type ErrorFrame,
  isDeviceId,
  isRecipient,
  isShortId,
  MAX_ID_LENGTH,
} from "./types.ts";

/** Routing fields of a client frame, with older field names normalised. */
export type Envelope =
  | {
    /** A registration: `{type: "register", device_id}` or `{from}`. */
    type: "register";
    /** Device the connection asks to speak for. */
    sender: string;
  }
  | {
    /** A chat frame, forwarded as received. */
    type: "chat";
    /** Claimed author, from `sender` or `from`. */
    sender: string;
    /** Device id or `"*"`, from `recipient` or `to`. */
    recipient: string;
    /** Message id to acknowledge; older frames have none. */
    id?: string;
  }
  | {
    /** A liveness probe, answered by the relay itself with a `pong`. */
    type: "ping";
    /** Echoed in the pong. */
    id: string;
  }
  /** `room_join`, `room_leave`, `room_chat` or `watch`: protocol/room_frames.ts. */
  | RoomEnvelope;

/** Outcome of {@linkcode readEnvelope}: the envelope, or the frame to answer with. */
export type EnvelopeResult =
  | { ok: true; envelope: Envelope }
  | { ok: false; error: ErrorFrame };

class FrameRefused extends Error {
  readonly frame: ErrorFrame;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.frame = { type: "error", code, message };
  }
}

/**
 * Parses a client frame and returns only its type, sender, recipient and id.
 * Frames without `type` are read as older ones: `{from, to}` is a chat,
 * `{from}` a registration. `{type: "ping", id}` is a liveness probe. Room
 * frames and `watch` come back with their routing fields
 * (protocol/room_frames.ts `readRoomRouting`). Any other type is refused
 * with `"unknown_type"`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { readEnvelope } from "./envelope.ts";
 *
 * const result = readEnvelope(
 *   '{"type":"chat","sender":"a","recipient":"b","id":"m-1","ciphertext":"00"}',
 * );
 * assertEquals(result, {
 *   ok: true,
 *   envelope: { type: "chat", sender: "a", recipient: "b", id: "m-1" },
 * });
 * assertEquals(readEnvelope("nope"), {
 *   ok: false,
 *   error: { type: "error", code: "bad_json", message: "frame is not valid JSON" },
 * });
 * ```
 */
export function readEnvelope(text: string): EnvelopeResult {
  try {
    return { ok: true, envelope: envelopeOf(text) };
  } catch (error) {
    if (error instanceof FrameRefused) return { ok: false, error: error.frame };
    throw error;
  }
}

function envelopeOf(text: string): Envelope {
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    refuse("bad_json", "frame is not valid JSON");
  }
  if (typeof frame !== "object" || frame === null || Array.isArray(frame)) {
    refuse("bad_json", "frame must be a JSON object");
  }
  const fields = frame as Record<string, unknown>;
  const type = fields.type === undefined ? legacyType(fields) : fields.type;
  if (typeof type !== "string") refuse("bad_field", "type must be a string");
  if (type === "register") {
    return { type, sender: readDeviceId(fields, ["device_id", "from"]) };
  }
  if (type === "ping") return { type, id: readShortId(fields.id) };
  if (type !== "chat") {
    if (!isRoomFrameType(type)) refuse("unknown_type", "unknown frame type");
    const read = readRoomRouting(fields);
    if (!read.ok) refuse(read.code, read.message);
    return read.envelope;
  }
  const sender = readDeviceId(fields, ["sender", "from"]);
  const recipient = readAlias(fields, ["recipient", "to"]);
  if (!isRecipient(recipient.value)) {
    refuse("bad_field", `${recipient.name} must be a device id or "*"`);
  }
  const { id } = fields;
  if (id === undefined) return { type, sender, recipient: recipient.value };
  return { type, sender, recipient: recipient.value, id: readShortId(id) };
}

function readShortId(id: unknown): string {
  if (id === undefined) refuse("missing_field", "id is required");
  if (!isShortId(id)) {
    refuse("bad_field", `id must be 1 to ${MAX_ID_LENGTH} characters`);
  }
  return id;
}

function legacyType(fields: Record<string, unknown>): string {
  if (fields.to !== undefined) return "chat";
  if (fields.from !== undefined) return "register";
  refuse("missing_field", "type is required");
}

function readDeviceId(
  fields: Record<string, unknown>,
  names: string[],
): string {
  const { name, value } = readAlias(fields, names);
  if (!isDeviceId(value)) refuse("bad_field", `${name} must be a device id`);
  return value;
}

// Refusing a frame that carries two spellings of one field keeps the relay
// and an older client from routing it by different values.
function readAlias(
  fields: Record<string, unknown>,
  names: string[],
): { name: string; value: unknown } {
  const present = names.filter((name) => fields[name] !== undefined);
  if (present.length === 0) {
    refuse("missing_field", `${names.join(" or ")} is required`);
  }
  if (present.length > 1) {
    refuse("bad_field", `give ${names.join(" or ")}, not both`);
  }
  return { name: present[0], value: fields[present[0]] };
}

function refuse(code: ErrorCode, message: string): never {
  throw new FrameRefused(code, message);
}
