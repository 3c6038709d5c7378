/**
 * The three kinds of room frame, sealed and opened under the right key:
 *
 * - `hello` (broadcast): the member's fresh ML-KEM-768 public key for the
 *   epoch and its KMS relay ticket, under
 *   `HKDF(ikm = R, info = "qstcs-room-hello-v1|room|epoch")`, so only members
 *   the KMS gave `R` learn who offers what. The ticket certifies the
 *   identity key that signed the frame.
 * - `key` (to one member): the sender's chain key `C_0`, under
 *   `K = HKDF(ikm = ss || R, info = "qstcs-room-sender-v1|room|epoch|sender|to")`
 *   where `ss` is an ML-KEM-768 (FIPS 203) secret encapsulated to the
 *   recipient's hello key: hybrid, so neither the KMS (which knows `R`) nor
 *   a later break of ML-KEM alone (without `R`) recovers it. The frame's
 *   `ciphertext` is the KEM ciphertext followed by the sealed key.
 * - `msg`: content under the message key of index `seq` of the sender's
 *   chain (`sender_key.ts`).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { generateIdentity } from "./identity.ts";
 * import { ReceiverChain, SenderChain } from "./sender_key.ts";
 * import { openMessage, sealMessage } from "./room_seal.ts";
 *
 * const alpha = await generateIdentity();
 * const context = {
 *   room: "squad1",
 *   epoch: 4,
 *   sender: "Soldier_Alpha",
 *   roomKey: crypto.getRandomValues(new Uint8Array(32)),
 * };
 * const own = SenderChain.create(context);
 * const chain = new ReceiverChain(own.startKey(), context);
 * const frame = await sealMessage(alpha, {
 *   ...context,
 *   messageKey: own.next(),
 *   content: new TextEncoder().encode("Hold position"),
 * });
 * const opened = await openMessage(frame, { identityKey: alpha.publicKey, chain });
 * assertEquals(opened.ok && new TextDecoder().decode(opened.bytes), "Hold position");
 * ```
 *
 * @module
 */

import { hkdfSha256 } from "../quantum/hkdf.ts";
import { KEY_LENGTH } from "./aes_gcm.ts";
import type { Identity } from "./identity.ts";
import {
  decapsulate,
  encapsulate,
  KEM_CIPHERTEXT_LENGTH,
  KEM_PUBLIC_KEY_LENGTH,
} from "./key_wrap.ts";
import {
  MAX_TICKET_LENGTH,
  type RelayTicket,
  verifyTicket,
} from "./relay_ticket.ts";
import {
  malformedFrame,
  MAX_ROOM_CONTENT_BYTES,
  openRoomFrame,
  type RoomChatFrame,
  roomFrameBytes,
  type RoomFrameFailure,
  type RoomFrameRefusal,
  sealRoomFrame,
  verifyRoomFrame,
} from "./room_packet.ts";
import type { MessageKey, ReceiverChain } from "./sender_key.ts";

/** The header fields a sender chooses for any kind. */
export interface RoomFrameOptions {
  /** The sender's device id. */
  sender: string;
  /** The room. */
  room: string;
  /** The epoch whose keys seal the frame. */
  epoch: number;
  /** The frame id; defaults to a random UUID. */
  id?: string;
  /** Unix seconds; defaults to now, rounded down. */
  timestamp?: number;
}

/** A member's offer of an epoch: what {@linkcode openHello} reads. */
export interface Hello {
  /** Its fresh ML-KEM-768 public key for this epoch. */
  kemPublicKey: Uint8Array;
  /** Its Ed25519 identity key, as the ticket certifies it. */
  identityKey: Uint8Array;
  /** The KMS's relay ticket of the sender, checked. */
  ticket: RelayTicket;
}

type Kind = RoomChatFrame["kind"];

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Seals a `hello`: `kemPublicKey` and the sender's relay `ticket` under the
 * hello key of `roomKey`.
 *
 * @throws {RangeError} for a KEM key or ticket of the wrong size.
 */
export function sealHello(
  identity: Identity,
  options: RoomFrameOptions & {
    roomKey: Uint8Array;
    kemPublicKey: Uint8Array;
    ticket: string;
  },
): Promise<RoomChatFrame> {
  if (options.kemPublicKey.length !== KEM_PUBLIC_KEY_LENGTH) {
    throw new RangeError(
      `ML-KEM-768 public key must be ${KEM_PUBLIC_KEY_LENGTH} bytes`,
    );
  }
  const ticket = encoder.encode(options.ticket);
  if (ticket.length === 0 || ticket.length > MAX_TICKET_LENGTH) {
    throw new RangeError(`a ticket is 1 to ${MAX_TICKET_LENGTH} bytes`);
  }
  const plaintext = new Uint8Array(KEM_PUBLIC_KEY_LENGTH + ticket.length);
  plaintext.set(options.kemPublicKey);
  plaintext.set(ticket, KEM_PUBLIC_KEY_LENGTH);
  return sealRoomFrame(identity, header("hello", options), {
    key: helloKey(options.roomKey, options),
    plaintext,
  });
}

/**
 * Opens a `hello` and checks it: sealed under this epoch's hello key, a
 * ticket the KMS signed for the frame's sender and valid at `now` (Unix
 * seconds), and the frame signed by the identity key the ticket certifies.
 * Whether that key is the one pinned for the sender is the caller's check.
 */
export async function openHello(
  frame: RoomChatFrame,
  options: { roomKey: Uint8Array; kmsKey: Uint8Array; now: number },
): Promise<{ ok: true; hello: Hello } | RoomFrameFailure> {
  if (frame.kind !== "hello") return wrongKind(frame, "hello");
  const plaintext = await openRoomFrame(
    frame,
    helloKey(options.roomKey, frame),
  );
  if (!plaintext) {
    return refused("auth_failed", `${frame.sender}'s hello did not open`);
  }
  let ticketText: string;
  try {
    ticketText = decoder.decode(plaintext.subarray(KEM_PUBLIC_KEY_LENGTH));
  } catch {
    return malformedFrame(`${frame.sender}'s hello holds no ticket text`);
  }
  const ticket = await verifyTicket(ticketText, {
    kmsKey: options.kmsKey,
    now: options.now,
    deviceId: frame.sender,
  });
  if (!ticket.ok) {
    return refused(
      "bad_ticket",
      `${frame.sender}'s hello has a refused ticket: ${ticket.reason}`,
    );
  }
  if (!await verifyRoomFrame(frame, ticket.publicKey)) {
    return badSignature(frame);
  }
  return {
    ok: true,
    hello: {
      kemPublicKey: plaintext.slice(0, KEM_PUBLIC_KEY_LENGTH),
      identityKey: ticket.publicKey,
      ticket: ticket.ticket,
    },
  };
}

/**
 * Seals a `key` frame: the sender's `chainKey` (`C_0`) for member `to`,
 * through an ML-KEM-768 encapsulation to `recipientKemKey` (from `to`'s
 * hello) mixed with `roomKey`.
 *
 * @throws {KeyWrapError} code `"invalid_input"` for a KEM public key that
 * FIPS 203's input check refuses.
 */
export async function sealKey(
  identity: Identity,
  options: RoomFrameOptions & {
    to: string;
    roomKey: Uint8Array;
    recipientKemKey: Uint8Array;
    chainKey: Uint8Array;
  },
): Promise<RoomChatFrame> {
  const { kemCiphertext, sharedSecret } = encapsulate(options.recipientKemKey);
  const frameHeader = { ...header("key", options), to: options.to };
  const key = senderKey(sharedSecret, options.roomKey, frameHeader);
  try {
    return await sealRoomFrame(identity, frameHeader, {
      key,
      plaintext: options.chainKey,
      clearPrefix: kemCiphertext,
    });
  } finally {
    key.fill(0);
    sharedSecret.fill(0);
  }
}

/**
 * Opens a `key` frame addressed to `recipient`, signed by `identityKey`
 * (the sender's, from its hello), with the recipient's ML-KEM secret key
 * of the epoch: the sender's chain key `C_0`.
 */
export async function openKey(
  frame: RoomChatFrame,
  options: {
    recipient: string;
    identityKey: Uint8Array;
    roomKey: Uint8Array;
    kemSecretKey: Uint8Array;
  },
): Promise<{ ok: true; chainKey: Uint8Array } | RoomFrameFailure> {
  if (frame.kind !== "key") return wrongKind(frame, "key");
  if (frame.to !== options.recipient) {
    return refused(
      "not_addressed",
      `${frame.sender}'s key frame is for ${frame.to}`,
    );
  }
  if (!await verifyRoomFrame(frame, options.identityKey)) {
    return badSignature(frame);
  }
  const kemCiphertext = roomFrameBytes(frame).ciphertext.subarray(
    0,
    KEM_CIPHERTEXT_LENGTH,
  );
  let sharedSecret: Uint8Array;
  try {
    sharedSecret = decapsulate(kemCiphertext, options.kemSecretKey);
  } catch {
    return refused("auth_failed", "this epoch's ML-KEM secret key is unusable");
  }
  const key = senderKey(sharedSecret, options.roomKey, frame);
  const chainKey = await openRoomFrame(frame, key, {
    clearPrefix: KEM_CIPHERTEXT_LENGTH,
  });
  key.fill(0);
  sharedSecret.fill(0);
  return chainKey?.length === KEY_LENGTH
    ? { ok: true, chainKey }
    : refused("auth_failed", `${frame.sender}'s key frame did not open`);
}

/**
 * Seals a `msg`: `content` under `messageKey` (from `SenderChain.next`,
 * erased here), its index as `seq`; `to` directs it to one member (a
 * receipt).
 *
 * @throws {RangeError} for content over {@linkcode MAX_ROOM_CONTENT_BYTES}.
 */
export async function sealMessage(
  identity: Identity,
  options: RoomFrameOptions & {
    messageKey: MessageKey;
    content: Uint8Array;
    to?: string;
  },
): Promise<RoomChatFrame> {
  if (options.content.length > MAX_ROOM_CONTENT_BYTES) {
    throw new RangeError(
      `room content is ${options.content.length} bytes; at most ` +
        MAX_ROOM_CONTENT_BYTES,
    );
  }
  const frameHeader = {
    ...header("msg", options),
    seq: options.messageKey.index,
    ...(options.to === undefined ? {} : { to: options.to }),
  };
  try {
    return await sealRoomFrame(identity, frameHeader, {
      key: options.messageKey.key,
      plaintext: options.content,
    });
  } finally {
    options.messageKey.key.fill(0);
  }
}

/**
 * Opens a `msg` signed by `identityKey` (the sender's) with the sender's
 * `chain` of this room and epoch: the content, each index once.
 */
export async function openMessage(
  frame: RoomChatFrame,
  options: { identityKey: Uint8Array; chain: ReceiverChain },
): Promise<{ ok: true; bytes: Uint8Array } | RoomFrameFailure> {
  if (frame.kind !== "msg") return wrongKind(frame, "msg");
  if (!await verifyRoomFrame(frame, options.identityKey)) {
    return badSignature(frame);
  }
  const opened = await options.chain.open(
    frame.seq,
    (key) => openRoomFrame(frame, key),
  );
  if (opened.ok) return { ok: true, bytes: opened.value };
  return refused(
    opened.reason,
    `${frame.sender}'s line ${frame.seq} refused: ${opened.reason}`,
  );
}

function header(kind: Kind, options: RoomFrameOptions) {
  return {
    type: "room_chat" as const,
    sender: options.sender,
    room: options.room,
    epoch: options.epoch,
    kind,
    id: options.id ?? crypto.randomUUID(),
    timestamp: options.timestamp ?? Math.floor(Date.now() / 1000),
    seq: 0,
  };
}

function helloKey(
  roomKey: Uint8Array,
  at: { room: string; epoch: number },
): Uint8Array {
  return hkdfSha256(roomKey, {
    info: `qstcs-room-hello-v1|${at.room}|${at.epoch}`,
    length: KEY_LENGTH,
  });
}

function senderKey(
  sharedSecret: Uint8Array,
  roomKey: Uint8Array,
  at: { room: string; epoch: number; sender: string; to?: string },
): Uint8Array {
  const ikm = new Uint8Array(sharedSecret.length + roomKey.length);
  ikm.set(sharedSecret);
  ikm.set(roomKey, sharedSecret.length);
  const key = hkdfSha256(ikm, {
    info: `qstcs-room-sender-v1|${at.room}|${at.epoch}|${at.sender}|${at.to}`,
    length: KEY_LENGTH,
  });
  ikm.fill(0);
  return key;
}

function refused(reason: RoomFrameRefusal, message: string): RoomFrameFailure {
  return { ok: false, reason, message };
}

function badSignature(frame: RoomChatFrame): RoomFrameFailure {
  return refused(
    "bad_signature",
    `${frame.sender}'s ${frame.kind} frame is not signed by its identity key`,
  );
}

function wrongKind(frame: RoomChatFrame, kind: Kind): RoomFrameFailure {
  return refused("not_addressed", `a ${frame.kind} frame is not a ${kind}`);
}
