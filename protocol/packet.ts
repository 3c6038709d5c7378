/**
 * Chat packets: AES-256-GCM messages whose routing and ordering fields are
 * authenticated, so a relay can read them but not change them.
 *
 * @module
 */

import {
  importAesKey,
  NONCE_LENGTH,
  open,
  seal,
  TAG_LENGTH,
} from "./aes_gcm.ts";
import type { ReplayGuard } from "./replay_guard.ts";
import {
  type ChatPacket,
  isDeviceId,
  isRecipient,
  isShortId,
  MAX_ID_LENGTH,
} from "./types.ts";

/** Why a packet was refused. */
export type PacketErrorCode = "malformed" | "auth_failed" | "replay";

/**
 * Thrown for a packet that is malformed, fails authentication or replays an
 * earlier one; `code` tells which.
 *
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { PacketError, parseChatPacket } from "./packet.ts";
 *
 * const error = assertThrows(() => parseChatPacket(null), PacketError);
 * assertEquals(error.code, "malformed");
 * ```
 */
export class PacketError extends Error {
  /** Why the packet was refused. */
  readonly code: PacketErrorCode;

  constructor(code: PacketErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PacketError";
    this.code = code;
  }
}

/** Options for {@linkcode encryptPacket}. */
export interface EncryptPacketOptions {
  /** Device id of the author. */
  sender: string;
  /** Device id of the addressee, or `"*"` for every online device. */
  recipient: string;
  /** Id of the session key `key` was imported from. */
  keyId: string;
  /** Next value of the sender's counter for this key. */
  seq: number;
  /** Unix time in seconds; defaults to now, rounded down. */
  timestamp?: number;
  /** Unique message id; defaults to a random UUID. */
  id?: string;
}

/** Options for {@linkcode decryptPacket}. */
export interface DecryptPacketOptions {
  /**
   * Records each authenticated packet and refuses a repeat with code
   * `"replay"`. Without it the caller must detect replays itself.
   */
  replayGuard?: ReplayGuard;
}

/** The authenticated fields of a packet. */
type PacketHeader = Omit<ChatPacket, "nonce" | "ciphertext">;

const NONCE_HEX = new RegExp(`^[0-9a-f]{${NONCE_LENGTH * 2}}$`);
const CIPHERTEXT_HEX = new RegExp(`^(?:[0-9a-f]{2}){${TAG_LENGTH},}$`);
// Separates this use of a session key from any other use of the same key.
const AAD_LABEL = "QSTCS-chat-v1";
const encoder = new TextEncoder();

/**
 * Imports a 32-byte session key for {@linkcode encryptPacket} and
 * {@linkcode decryptPacket}. The key is non-extractable; any other length
 * rejects with a `RangeError`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { importPacketKey } from "./packet.ts";
 *
 * const key = await importPacketKey(crypto.getRandomValues(new Uint8Array(32)));
 * assertEquals(key.algorithm.name, "AES-GCM");
 * ```
 */
export function importPacketKey(raw: Uint8Array): Promise<CryptoKey> {
  return importAesKey(raw);
}

/**
 * Encrypts `plaintext` (UTF-8 if a string) into a chat packet. Routing and
 * ordering fields are bound as associated data.
 *
 * @throws {PacketError} code `"malformed"` when an option would make an
 * invalid packet.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { encryptPacket, importPacketKey } from "./packet.ts";
 *
 * const key = await importPacketKey(crypto.getRandomValues(new Uint8Array(32)));
 * const packet = await encryptPacket(key, "Hold position", {
 *   sender: "Soldier_Alpha",
 *   recipient: "Soldier_Bravo",
 *   keyId: "k-1",
 *   seq: 0,
 * });
 * assertEquals(packet.nonce.length, 24);
 * assertEquals([packet.type, packet.key_id, packet.seq], ["chat", "k-1", 0]);
 * ```
 */
export async function encryptPacket(
  key: CryptoKey,
  plaintext: Uint8Array | string,
  options: EncryptPacketOptions,
): Promise<ChatPacket> {
  const header = readHeader({
    type: "chat",
    sender: options.sender,
    recipient: options.recipient,
    timestamp: options.timestamp ?? Math.floor(Date.now() / 1000),
    id: options.id ?? crypto.randomUUID(),
    key_id: options.keyId,
    seq: options.seq,
  });
  const bytes = typeof plaintext === "string"
    ? encoder.encode(plaintext)
    : plaintext;
  const { nonce, ciphertext } = await seal(key, bytes, {
    additionalData: associatedData(header),
  });
  return { ...header, nonce: nonce.toHex(), ciphertext: ciphertext.toHex() };
}

/**
 * Validates `packet`, authenticates it and returns the plaintext bytes.
 *
 * @throws {PacketError} code `"malformed"` for an invalid packet,
 * `"auth_failed"` for a wrong key or any tampering, `"replay"` when
 * `options.replayGuard` has already seen the packet's sequence number.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { decryptPacket, encryptPacket, importPacketKey } from "./packet.ts";
 *
 * const key = await importPacketKey(crypto.getRandomValues(new Uint8Array(32)));
 * const packet = await encryptPacket(key, "hi", {
 *   sender: "a",
 *   recipient: "b",
 *   keyId: "k",
 *   seq: 0,
 * });
 * const wire = JSON.parse(JSON.stringify(packet));
 * const text = await decryptPacket(key, wire);
 * assertEquals(new TextDecoder().decode(text), "hi");
 * ```
 */
export async function decryptPacket(
  key: CryptoKey,
  packet: unknown,
  options: DecryptPacketOptions = {},
): Promise<Uint8Array> {
  const parsed = parseChatPacket(packet);
  let plaintext: Uint8Array;
  try {
    plaintext = await open(key, {
      nonce: Uint8Array.fromHex(parsed.nonce),
      ciphertext: Uint8Array.fromHex(parsed.ciphertext),
    }, { additionalData: associatedData(parsed) });
  } catch (error) {
    throw new PacketError(
      "auth_failed",
      "packet failed authentication: wrong key or tampered packet",
      { cause: error },
    );
  }
  // Recording only authenticated packets keeps forgeries from burning the
  // sequence numbers of genuine ones.
  const guard = options.replayGuard;
  if (
    guard &&
    !guard.check({ sender: parsed.sender, keyId: parsed.key_id }, parsed.seq)
  ) {
    throw new PacketError(
      "replay",
      `replayed packet: seq ${parsed.seq} from ${parsed.sender} under key ${parsed.key_id}`,
    );
  }
  return plaintext;
}

/**
 * Checks that `value` is a well-formed chat packet and returns a copy with
 * only the packet fields (unknown fields are unauthenticated, so dropped).
 *
 * @throws {PacketError} code `"malformed"` naming the first bad field.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseChatPacket } from "./packet.ts";
 *
 * const packet = parseChatPacket({
 *   type: "chat",
 *   sender: "a",
 *   recipient: "*",
 *   nonce: "00".repeat(12),
 *   ciphertext: "00".repeat(16),
 *   timestamp: 1700000000,
 *   id: "m-1",
 *   key_id: "k",
 *   seq: 0,
 * });
 * assertEquals(packet.recipient, "*");
 * ```
 */
export function parseChatPacket(value: unknown): ChatPacket {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw malformed("packet must be a JSON object");
  }
  const fields = value as Record<string, unknown>;
  const header = readHeader(fields);
  const { nonce, ciphertext } = fields;
  if (typeof nonce !== "string" || !NONCE_HEX.test(nonce)) {
    throw malformed(`nonce must be ${NONCE_LENGTH * 2} lowercase hex digits`);
  }
  if (typeof ciphertext !== "string" || !CIPHERTEXT_HEX.test(ciphertext)) {
    throw malformed(
      `ciphertext must be lowercase hex of at least ${TAG_LENGTH} bytes`,
    );
  }
  return { ...header, nonce, ciphertext };
}

function readHeader(fields: Record<string, unknown>): PacketHeader {
  const { type, sender, recipient, timestamp, id, key_id, seq } = fields;
  if (type !== "chat") throw malformed('type must be "chat"');
  if (!isDeviceId(sender)) throw malformed("sender must be a device id");
  if (!isRecipient(recipient)) {
    throw malformed('recipient must be a device id or "*"');
  }
  if (
    typeof timestamp !== "number" || !Number.isFinite(timestamp) ||
    timestamp < 0
  ) {
    throw malformed("timestamp must be a non-negative finite number");
  }
  if (!isShortId(id)) {
    throw malformed(`id must be 1 to ${MAX_ID_LENGTH} characters`);
  }
  if (!isShortId(key_id)) {
    throw malformed(`key_id must be 1 to ${MAX_ID_LENGTH} characters`);
  }
  if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 0) {
    throw malformed("seq must be a non-negative safe integer");
  }
  return { type, sender, recipient, timestamp, id, key_id, seq };
}

// A JSON array keeps field boundaries unambiguous: no choice of field values
// can make two different headers encode alike.
function associatedData(header: PacketHeader): Uint8Array {
  return encoder.encode(JSON.stringify([
    AAD_LABEL,
    header.type,
    header.sender,
    header.recipient,
    header.key_id,
    header.seq,
    header.timestamp,
    header.id,
  ]));
}

function malformed(reason: string): PacketError {
  return new PacketError("malformed", `malformed packet: ${reason}`);
}
