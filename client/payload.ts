/**
 * The plaintext inside a client's chat packets: JSON with a kind `t`. The
 * relay never sees it; only the two clients do, after decryption.
 *
 * - `kem_offer` and `kem_reply` run the end-to-end ML-KEM-768 exchange and
 *   travel under the KMS key;
 * - `msg`, `file` and `receipt` travel under the hybrid key.
 *
 * @module
 */

import {
  KEM_CIPHERTEXT_LENGTH,
  KEM_PUBLIC_KEY_LENGTH,
  MAX_TICKET_LENGTH,
} from "../protocol/mod.ts";

/**
 * What authenticates a handshake step (handshake_auth.ts): the sender's
 * relay ticket, which certifies its identity key, and its Ed25519
 * signature of the step. Both absent from a device whose KMS issues no
 * tickets.
 */
export interface HandshakeProof {
  /** The sender's relay ticket. */
  ticket?: string;
  /** Base64url Ed25519 signature of the step. */
  sig?: string;
}

/** Offers an ML-KEM-768 public key for the end-to-end exchange. */
export interface KemOffer extends HandshakeProof {
  /** Kind. */
  t: "kem_offer";
  /** Base64 ML-KEM-768 public key. */
  pk: string;
}

/** Answers a {@linkcode KemOffer} with an ML-KEM-768 ciphertext. */
export interface KemReply extends HandshakeProof {
  /** Kind. */
  t: "kem_reply";
  /** Base64 ML-KEM-768 ciphertext. */
  ct: string;
}

/** A typed line. */
export interface TextMessage {
  /** Kind. */
  t: "msg";
  /** Message id, the same on every re-send. */
  mid: string;
  /** The line. */
  text: string;
  /**
   * The sender's number for this line among those it wrote to this peer
   * (1, 2, …), for showing them in the order written. Absent from older
   * clients.
   */
  n?: number;
}

/** One chunk of an attachment. */
export interface FileChunk {
  /** Kind. */
  t: "file";
  /** Message id of the whole attachment. */
  mid: string;
  /** File name as the sender gave it (the receiver sanitises it). */
  name: string;
  /** Index of this chunk, from 0. */
  chunk: number;
  /** Number of chunks. */
  chunks: number;
  /** Base64 bytes of this chunk. */
  data: string;
  /**
   * Set on a voice note (`/voice`): its length in whole seconds, so the
   * receiver announces it as `🎤 0:07`.
   */
  voice?: number;
}

/**
 * Confirms that the message or attachment `mid` arrived, or, with
 * `refused`, that it arrived and was not taken (an attachment over the
 * receiver's limit): either way the sender stops sending it.
 */
export interface Receipt {
  /** Kind. */
  t: "receipt";
  /** Message id received. */
  mid: string;
  /** Why the receiver did not take it, if it did not. */
  refused?: string;
}

/**
 * Says that the message or attachment `mid` arrived while the receiver is
 * talking to another device (`/peer`): not shown, not confirmed, so the
 * sender keeps it and sends it again.
 */
export interface Elsewhere {
  /** Kind. */
  t: "elsewhere";
  /** Message id received and not shown. */
  mid: string;
}

/** Any plaintext a client sends. */
export type ChatPayload =
  | KemOffer
  | KemReply
  | TextMessage
  | FileChunk
  | Receipt
  | Elsewhere;

/** The kinds that run the handshake under the KMS key. */
export type HandshakePayload = KemOffer | KemReply;

/** The kinds that need the hybrid key. */
export type ContentPayload = TextMessage | FileChunk | Receipt | Elsewhere;

/** Thrown by {@linkcode decodePayload} for plaintext of the wrong shape. */
export class PayloadError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "PayloadError";
  }
}

const MAX_MID_LENGTH = 64;
const MAX_NAME_LENGTH = 255;
/** Longest voice note announced, in seconds (an hour). */
const MAX_VOICE_SECONDS = 3600;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Serialises a payload to UTF-8 JSON bytes, ready for `encryptPacket`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { encodePayload } from "./payload.ts";
 * const bytes = encodePayload({ t: "receipt", mid: "m-1" });
 * assertEquals(new TextDecoder().decode(bytes), '{"t":"receipt","mid":"m-1"}');
 * ```
 */
export function encodePayload(payload: ChatPayload): Uint8Array {
  return encoder.encode(JSON.stringify(payload));
}

/**
 * Parses and checks decrypted plaintext; unknown fields are dropped.
 *
 * @throws {PayloadError} for anything but a well-formed payload.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { decodePayload, encodePayload } from "./payload.ts";
 * const payload = decodePayload(encodePayload({ t: "msg", mid: "m", text: "hi" }));
 * assertEquals(payload, { t: "msg", mid: "m", text: "hi" });
 * ```
 */
export function decodePayload(bytes: Uint8Array): ChatPayload {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    throw new PayloadError("plaintext is not UTF-8 JSON");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new PayloadError("plaintext is not a JSON object");
  }
  const fields = value as Record<string, unknown>;
  switch (fields.t) {
    case "kem_offer":
      return {
        t: "kem_offer",
        pk: base64Field(fields, "pk", KEM_PUBLIC_KEY_LENGTH),
        ...proofFields(fields),
      };
    case "kem_reply":
      return {
        t: "kem_reply",
        ct: base64Field(fields, "ct", KEM_CIPHERTEXT_LENGTH),
        ...proofFields(fields),
      };
    case "msg":
      return {
        t: "msg",
        mid: midField(fields),
        text: textField(fields),
        ...lineNumberField(fields),
      };
    case "receipt":
      return fields.refused === undefined
        ? { t: "receipt", mid: midField(fields) }
        : { t: "receipt", mid: midField(fields), refused: reasonField(fields) };
    case "elsewhere":
      return { t: "elsewhere", mid: midField(fields) };
    case "file":
      return fileChunk(fields);
    default:
      throw new PayloadError(
        `unknown payload kind ${JSON.stringify(fields.t)}`,
      );
  }
}

/**
 * Reports whether a payload belongs to the handshake (KMS key) rather than
 * the conversation (hybrid key).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { isHandshake } from "./payload.ts";
 * assertEquals(isHandshake({ t: "receipt", mid: "m" }), false);
 * ```
 */
export function isHandshake(payload: ChatPayload): payload is HandshakePayload {
  return payload.t === "kem_offer" || payload.t === "kem_reply";
}

function fileChunk(fields: Record<string, unknown>): FileChunk {
  const { name, chunk, chunks } = fields;
  if (
    typeof name !== "string" || name.length === 0 ||
    name.length > MAX_NAME_LENGTH
  ) {
    throw new PayloadError(`name must be 1 to ${MAX_NAME_LENGTH} characters`);
  }
  if (!Number.isSafeInteger(chunks) || (chunks as number) < 1) {
    throw new PayloadError("chunks must be a positive integer");
  }
  if (
    !Number.isSafeInteger(chunk) || (chunk as number) < 0 ||
    (chunk as number) >= (chunks as number)
  ) {
    throw new PayloadError("chunk must be an index below chunks");
  }
  const data = fields.data;
  if (typeof data !== "string" || !BASE64.test(data)) {
    throw new PayloadError("data must be base64");
  }
  const { voice } = fields;
  if (
    voice !== undefined &&
    (!Number.isSafeInteger(voice) || (voice as number) < 0 ||
      (voice as number) > MAX_VOICE_SECONDS)
  ) {
    throw new PayloadError(
      `voice must be whole seconds, at most ${MAX_VOICE_SECONDS}`,
    );
  }
  return {
    t: "file",
    mid: midField(fields),
    name,
    chunk: chunk as number,
    chunks: chunks as number,
    data,
    ...(voice === undefined ? {} : { voice: voice as number }),
  };
}

function midField(fields: Record<string, unknown>): string {
  const { mid } = fields;
  if (
    typeof mid !== "string" || mid.length === 0 || mid.length > MAX_MID_LENGTH
  ) {
    throw new PayloadError(`mid must be 1 to ${MAX_MID_LENGTH} characters`);
  }
  return mid;
}

function reasonField(fields: Record<string, unknown>): string {
  const { refused } = fields;
  if (
    typeof refused !== "string" || refused.length === 0 ||
    refused.length > MAX_NAME_LENGTH
  ) {
    throw new PayloadError(
      `refused must be 1 to ${MAX_NAME_LENGTH} characters`,
    );
  }
  return refused;
}

function lineNumberField(fields: Record<string, unknown>): { n?: number } {
  const { n } = fields;
  if (n === undefined) return {};
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 1) {
    throw new PayloadError("n must be a positive safe integer");
  }
  return { n };
}

function textField(fields: Record<string, unknown>): string {
  if (typeof fields.text !== "string") {
    throw new PayloadError("text must be a string");
  }
  return fields.text;
}

// Checked for size and kind only: handshake_auth.ts verifies them.
function proofFields(fields: Record<string, unknown>): HandshakeProof {
  const proof: HandshakeProof = {};
  const { ticket, sig } = fields;
  for (
    const [name, value, max] of [["ticket", ticket, MAX_TICKET_LENGTH], [
      "sig",
      sig,
      128,
    ]] as const
  ) {
    if (value === undefined) continue;
    if (typeof value !== "string" || value.length > max) {
      throw new PayloadError(
        `${name} must be a string of at most ${max} characters`,
      );
    }
    proof[name] = value;
  }
  return proof;
}

function base64Field(
  fields: Record<string, unknown>,
  name: string,
  length: number,
): string {
  const value = fields[name];
  if (typeof value !== "string" || !BASE64.test(value)) {
    throw new PayloadError(`${name} must be base64`);
  }
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.fromBase64(value);
  } catch {
    throw new PayloadError(`${name} must be base64`);
  }
  if (bytes.length !== length) {
    throw new PayloadError(`${name} must decode to ${length} bytes`);
  }
  return value;
}
