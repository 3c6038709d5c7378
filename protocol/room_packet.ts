/**
 * Room frames (`room_chat`): what members of a squad room send each other
 * through the relay, which reads only `type, sender, room, id, to` and
 * forwards the rest byte for byte. Every frame is
 *
 * - authenticated: AES-256-GCM with the header as associated data, and
 * - signed: Ed25519 by the sender's identity key (the one its KMS relay
 *   ticket certifies) over `AD || nonce || ciphertext` under the context
 *   {@linkcode ROOM_FRAME_CONTEXT}. Sender keys alone would let any member
 *   write a line in another member's name (every member holds every chain);
 *   the signature is what stops that.
 *
 * The three kinds are sealed and opened in `room_seal.ts`: `hello` (a
 * member's fresh ML-KEM-768 key and ticket), `key` (its sender chain key to
 * one member) and `msg` (a line under a message key of its chain).
 *
 * @module
 */

import { KEM_CIPHERTEXT_LENGTH, KEM_PUBLIC_KEY_LENGTH } from "./key_wrap.ts";
import {
  type Identity,
  SIGNATURE_LENGTH,
  signMessage,
  verifyMessage,
} from "./identity.ts";
import {
  importAesKey,
  KEY_LENGTH,
  NONCE_LENGTH,
  open,
  seal,
  TAG_LENGTH,
} from "./aes_gcm.ts";
import { isCount, isNonNegative, isRecord } from "./json_checks.ts";
import { MAX_TICKET_LENGTH } from "./relay_ticket.ts";
import type { ChainRefusal } from "./sender_key.ts";
import { checkRoomName } from "./room.ts";
import { isDeviceId, isShortId, MAX_ID_LENGTH } from "./types.ts";

/** The signing context of room frames. */
export const ROOM_FRAME_CONTEXT = "qstcs-room-frame-v1";
/**
 * Largest `msg` content in bytes: its base64url ciphertext and the header
 * stay under the relay's default 64 KiB frame limit (relay/config.ts).
 */
export const MAX_ROOM_CONTENT_BYTES = 40 * 1024;

/**
 * A room frame on the wire. Byte fields are base64url without padding.
 * Only `type, sender, room, id, to` are for the relay.
 */
export interface RoomChatFrame {
  type: "room_chat";
  /** The author's device id: the relay checks it is the connection's. */
  sender: string;
  /** The room's name. */
  room: string;
  /** The epoch whose keys sealed it. */
  epoch: number;
  /** What it carries: a member's offer, its sender key, or a line. */
  kind: "hello" | "key" | "msg";
  /** Unique frame id, for the relay's ack. */
  id: string;
  /** The one member it is for: always on `key`, never on `hello`. */
  to?: string;
  /** {@linkcode NONCE_LENGTH} bytes of GCM nonce. */
  nonce: string;
  /** The sealed bytes, GCM tag appended. */
  ciphertext: string;
  /** Unix time in seconds, set by the sender. */
  timestamp: number;
  /** The chain index of a `msg`; 0 on `hello` and `key`. */
  seq: number;
  /** {@linkcode SIGNATURE_LENGTH} bytes of Ed25519 signature. */
  signature: string;
}

/** The authenticated fields of a frame. */
export type RoomFrameHeader = Omit<
  RoomChatFrame,
  "nonce" | "ciphertext" | "signature"
>;

/**
 * Why a frame was refused: `malformed` (a field missing, of the wrong type
 * or size), `bad_signature` (not signed by the sender's identity key),
 * `bad_ticket` (a hello's relay ticket is not the KMS's for the sender),
 * `auth_failed` (wrong room key or KEM key, or tampering), `not_addressed`
 * (a key frame for another member, or the wrong kind), or the chain's
 * refusal of a `msg`'s index (`sender_key.ts`).
 */
export type RoomFrameRefusal =
  | "malformed"
  | "bad_signature"
  | "bad_ticket"
  | "auth_failed"
  | "not_addressed"
  | ChainRefusal;

/** A refusal: its reason and a sentence fit for a log or a screen. */
export interface RoomFrameFailure {
  ok: false;
  reason: RoomFrameRefusal;
  message: string;
}

/** The outcome of {@linkcode parseRoomFrame}. */
export type RoomFrameRead =
  | { ok: true; frame: RoomChatFrame }
  | RoomFrameFailure;

type Kind = RoomChatFrame["kind"];

const BASE64URL = { alphabet: "base64url", omitPadding: true } as const;
const encoder = new TextEncoder();
const KINDS: readonly string[] = ["hello", "key", "msg"];
// Sealed lengths in bytes of each kind's ciphertext field.
const SEALED_LENGTHS: Record<Kind, [number, number]> = {
  hello: [
    KEM_PUBLIC_KEY_LENGTH + 1 + TAG_LENGTH,
    KEM_PUBLIC_KEY_LENGTH + MAX_TICKET_LENGTH + TAG_LENGTH,
  ],
  key: [
    KEM_CIPHERTEXT_LENGTH + KEY_LENGTH + TAG_LENGTH,
    KEM_CIPHERTEXT_LENGTH + KEY_LENGTH + TAG_LENGTH,
  ],
  msg: [TAG_LENGTH, MAX_ROOM_CONTENT_BYTES + TAG_LENGTH],
};

/**
 * Checks every field of a frame from the network and returns a copy with
 * only the frame's fields (others are not authenticated, so dropped).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseRoomFrame } from "./room_packet.ts";
 *
 * const frame = {
 *   type: "room_chat",
 *   sender: "Soldier_Alpha",
 *   room: "squad1",
 *   epoch: 2,
 *   kind: "msg",
 *   id: "m-1",
 *   nonce: "A".repeat(16),
 *   ciphertext: "A".repeat(22),
 *   timestamp: 1700000000,
 *   seq: 0,
 *   signature: "A".repeat(86),
 * };
 * assertEquals(parseRoomFrame(frame), { ok: true, frame });
 * assertEquals(parseRoomFrame({ ...frame, to: "Soldier_Alpha" }).ok, false);
 * ```
 */
export function parseRoomFrame(value: unknown): RoomFrameRead {
  if (!isRecord(value)) return malformedFrame("a frame must be a JSON object");
  const header = readHeader(value);
  if (typeof header === "string") return malformedFrame(header);
  const [least, most] = SEALED_LENGTHS[header.kind];
  const nonce = readBytes(value.nonce, NONCE_LENGTH, NONCE_LENGTH);
  if (!nonce) return malformedFrame(`nonce must be ${NONCE_LENGTH} bytes`);
  if (!readBytes(value.ciphertext, least, most)) {
    return malformedFrame(
      `ciphertext of a ${header.kind} must be ${least} to ${most} bytes`,
    );
  }
  if (!readBytes(value.signature, SIGNATURE_LENGTH, SIGNATURE_LENGTH)) {
    return malformedFrame(`signature must be ${SIGNATURE_LENGTH} bytes`);
  }
  const frame: RoomChatFrame = {
    ...header,
    nonce: value.nonce as string,
    ciphertext: value.ciphertext as string,
    signature: value.signature as string,
  };
  return { ok: true, frame };
}

/**
 * The associated data of a frame: a JSON array of the label and every
 * header field in a fixed order (`to` as `null` when absent), so no two
 * headers encode alike.
 */
export function roomFrameAssociatedData(header: RoomFrameHeader): Uint8Array {
  return encoder.encode(JSON.stringify([
    ROOM_FRAME_CONTEXT,
    header.type,
    header.sender,
    header.room,
    header.epoch,
    header.kind,
    header.id,
    header.to ?? null,
    header.timestamp,
    header.seq,
  ]));
}

/** What {@linkcode sealRoomFrame} seals. */
export interface SealRoomFrameOptions {
  /** The 32-byte AES-256-GCM key. */
  key: Uint8Array;
  /** The bytes to encrypt. */
  plaintext: Uint8Array;
  /**
   * Bytes sent in clear ahead of the sealed ones in `ciphertext` (a `key`
   * frame's ML-KEM ciphertext); covered by the signature.
   */
  clearPrefix?: Uint8Array;
}

/**
 * Seals `plaintext` into a signed frame: the common step of every kind.
 * The header is checked first.
 *
 * @throws {RangeError} for a header {@linkcode parseRoomFrame} would refuse
 * or a key that is not 32 bytes.
 */
export async function sealRoomFrame(
  identity: Identity,
  header: RoomFrameHeader,
  options: SealRoomFrameOptions,
): Promise<RoomChatFrame> {
  const checked = readHeader({ ...header });
  if (typeof checked === "string") throw new RangeError(checked);
  const additionalData = roomFrameAssociatedData(checked);
  const aes = await importAesKey(options.key);
  const sealed = await seal(aes, options.plaintext, { additionalData });
  const prefix = options.clearPrefix ?? new Uint8Array(0);
  const ciphertext = new Uint8Array(prefix.length + sealed.ciphertext.length);
  ciphertext.set(prefix);
  ciphertext.set(sealed.ciphertext, prefix.length);
  const signature = await signMessage(identity, {
    context: ROOM_FRAME_CONTEXT,
    message: signedBytes(additionalData, sealed.nonce, ciphertext),
  });
  return {
    ...checked,
    nonce: sealed.nonce.toBase64(BASE64URL),
    ciphertext: ciphertext.toBase64(BASE64URL),
    signature: signature.toBase64(BASE64URL),
  };
}

/**
 * Whether the holder of `identityKey` signed this (parsed) frame.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { generateIdentity } from "./identity.ts";
 * import { sealRoomFrame, verifyRoomFrame } from "./room_packet.ts";
 *
 * const [alpha, bravo] = [await generateIdentity(), await generateIdentity()];
 * const frame = await sealRoomFrame(alpha, {
 *   type: "room_chat",
 *   sender: "Soldier_Alpha",
 *   room: "squad1",
 *   epoch: 1,
 *   kind: "msg",
 *   id: "m-1",
 *   timestamp: 1700000000,
 *   seq: 0,
 * }, { key: new Uint8Array(32), plaintext: new Uint8Array(3) });
 * assertEquals(await verifyRoomFrame(frame, alpha.publicKey), true);
 * assertEquals(await verifyRoomFrame(frame, bravo.publicKey), false);
 * ```
 */
export async function verifyRoomFrame(
  frame: RoomChatFrame,
  identityKey: Uint8Array,
): Promise<boolean> {
  const { nonce, ciphertext, signature } = roomFrameBytes(frame);
  return await verifyMessage(identityKey, {
    context: ROOM_FRAME_CONTEXT,
    message: signedBytes(roomFrameAssociatedData(frame), nonce, ciphertext),
    signature,
  });
}

/**
 * Opens a (parsed) frame's ciphertext under `key` (after `clearPrefix`
 * bytes sent in clear), or `null` when the key is wrong or anything was
 * changed. The signature is not checked here.
 */
export async function openRoomFrame(
  frame: RoomChatFrame,
  key: Uint8Array,
  options: { clearPrefix?: number } = {},
): Promise<Uint8Array | null> {
  const { nonce, ciphertext } = roomFrameBytes(frame);
  try {
    return await open(await importAesKey(key), {
      nonce,
      ciphertext: ciphertext.subarray(options.clearPrefix ?? 0),
    }, { additionalData: roomFrameAssociatedData(frame) });
  } catch {
    return null;
  }
}

/** The raw bytes of a frame's nonce, ciphertext and signature. */
export function roomFrameBytes(
  frame: RoomChatFrame,
): { nonce: Uint8Array; ciphertext: Uint8Array; signature: Uint8Array } {
  return {
    nonce: Uint8Array.fromBase64(frame.nonce, BASE64URL),
    ciphertext: Uint8Array.fromBase64(frame.ciphertext, BASE64URL),
    signature: Uint8Array.fromBase64(frame.signature, BASE64URL),
  };
}

/** A refusal with the reason `"malformed"`. */
export function malformedFrame(detail: string): RoomFrameFailure {
  return {
    ok: false,
    reason: "malformed",
    message: `malformed room frame: ${detail}`,
  };
}

function signedBytes(
  additionalData: Uint8Array,
  nonce: Uint8Array,
  ciphertext: Uint8Array,
): Uint8Array {
  const bytes = new Uint8Array(
    additionalData.length + nonce.length + ciphertext.length,
  );
  bytes.set(additionalData);
  bytes.set(nonce, additionalData.length);
  bytes.set(ciphertext, additionalData.length + nonce.length);
  return bytes;
}

// The header, or what is wrong with it.
function readHeader(
  fields: Record<string, unknown>,
): RoomFrameHeader | string {
  const { type, sender, room, epoch, kind, id, to, timestamp, seq } = fields;
  if (type !== "room_chat") return 'type must be "room_chat"';
  if (!isDeviceId(sender)) return "sender must be a device id";
  const name = checkRoomName(room);
  if (!name.ok) return name.message;
  if (!isCount(epoch)) return "epoch must be a non-negative safe integer";
  if (typeof kind !== "string" || !KINDS.includes(kind)) {
    return 'kind must be "hello", "key" or "msg"';
  }
  if (!isShortId(id)) return `id must be 1 to ${MAX_ID_LENGTH} characters`;
  if (to !== undefined && (!isDeviceId(to) || to === sender)) {
    return "to must be the device id of another member";
  }
  if (kind === "hello" && to !== undefined) return "a hello goes to everyone";
  if (kind === "key" && to === undefined) return "a key frame needs to";
  if (!isNonNegative(timestamp)) {
    return "timestamp must be a non-negative finite number";
  }
  if (!isCount(seq)) return "seq must be a non-negative safe integer";
  if (kind !== "msg" && seq !== 0) return `seq of a ${kind} must be 0`;
  const header: RoomFrameHeader = {
    type,
    sender,
    room: name.room,
    epoch,
    kind: kind as Kind,
    id,
    timestamp,
    seq,
  };
  if (to !== undefined) header.to = to;
  return header;
}

// Canonical base64url of `least` to `most` bytes only: any other spelling
// of the same bytes would be a second frame with the same signature.
function readBytes(
  value: unknown,
  least: number,
  most: number,
): Uint8Array | null {
  if (
    typeof value !== "string" || value.length > Math.ceil(most * 4 / 3) ||
    !/^[A-Za-z0-9_-]*$/.test(value)
  ) {
    return null;
  }
  try {
    const bytes = Uint8Array.fromBase64(value, BASE64URL);
    return bytes.length >= least && bytes.length <= most &&
        bytes.toBase64(BASE64URL) === value
      ? bytes
      : null;
  } catch {
    return null;
  }
}
