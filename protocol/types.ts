/**
 * Shared wire types of the KMS HTTP API and the chat relay, plus the one
 * runtime check every service needs: whether a string is a device id.
 *
 * Keys and chat packet bytes are lowercase hex; the ML-KEM fields of wrapped
 * key delivery are standard base64.
 *
 * @module
 */

import type { LinkIncidents } from "./incident.ts";
import type { LinkReport } from "./link_report.ts";
import type { AckStatus, DropReason, QueueReason } from "./ack_reasons.ts";
import type { LegacyRegisterFrame, RegisterFrame } from "./registration.ts";

export type { AckStatus, DropReason, QueueReason };

const DEVICE_ID = /^[A-Za-z0-9_.-]{1,64}$/;

/** Recipient that addresses every online device. */
export const BROADCAST = "*";

/** Longest message id or key id, in UTF-16 code units. */
export const MAX_ID_LENGTH = 128;

/**
 * Reports whether `value` is a device id: 1 to 64 characters from
 * `A-Z a-z 0-9 _ . -`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { isDeviceId } from "./types.ts";
 *
 * assertEquals(isDeviceId("Soldier_Alpha"), true);
 * assertEquals(isDeviceId("*"), false);
 * ```
 */
export function isDeviceId(value: unknown): value is string {
  return typeof value === "string" && DEVICE_ID.test(value);
}

/**
 * Reports whether `value` can address a chat packet: a device id or
 * {@linkcode BROADCAST}.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { isRecipient } from "./types.ts";
 *
 * assertEquals(isRecipient("*"), true);
 * assertEquals(isRecipient("Soldier_Bravo"), true);
 * assertEquals(isRecipient("two words"), false);
 * ```
 */
export function isRecipient(value: unknown): value is string {
  return value === BROADCAST || isDeviceId(value);
}

/**
 * Reports whether `value` can serve as a message id or key id: a string of 1
 * to {@linkcode MAX_ID_LENGTH} characters.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { isShortId } from "./types.ts";
 *
 * assertEquals(isShortId(crypto.randomUUID()), true);
 * assertEquals(isShortId(""), false);
 * ```
 */
export function isShortId(value: unknown): value is string {
  return typeof value === "string" && value.length >= 1 &&
    value.length <= MAX_ID_LENGTH;
}

/** Health of the quantum link as judged by the KMS from the QBER. */
export type LinkStatus = "GREEN" | "YELLOW" | "RED";

/** Body of `POST /get_session_key`. */
export interface SessionKeyRequest {
  /** Requesting device. */
  device_id: string;
  /** Device the session key is shared with. */
  peer_id?: string;
  /** Simulates an eavesdropper on the quantum channel (demo only). */
  force_attack?: boolean;
  /**
   * Asks for this recent key of the pair (one a packet arrived under) rather
   * than the current one; needs `peer_id`. Unknown ids get HTTP 404.
   */
  key_id?: string;
  /** Mixes an ML-KEM-768 secret into the session key. */
  pqc?: boolean;
  /**
   * Base64 ML-KEM-768 public key (1184 bytes). When present the KMS answers with
   * a wrapped key instead of `key_hex`.
   */
  kem_public_key?: string;
}

/** Body of `POST /get_session_key` sent by older clients. */
export interface LegacySessionKeyRequest {
  /** Requesting device; `device_id` in {@linkcode SessionKeyRequest}. */
  client_id: string;
  /** Device the session key is shared with. */
  peer_id: string;
}

/**
 * Successful answer of `POST /get_session_key`: either `key_hex` or, when the
 * request carried `kem_public_key`, `kem_ciphertext` and `wrapped_key`.
 */
export interface SessionKeyResponse {
  /** Hex 32-byte session key; absent when the key is wrapped. */
  key_hex?: string;
  /** Identifies the session key inside chat packets. */
  key_id: string;
  /** Quantum bit error rate of the BB84 run, 0 to 1. */
  qber: number;
  /** Link health; a RED link yields {@linkcode LinkRedResponse} instead. */
  status: Exclude<LinkStatus, "RED">;
  /** Base64 ML-KEM-768 ciphertext (1088 bytes) for `unwrapKey`. */
  kem_ciphertext?: string;
  /** Base64 `nonce || ciphertext || tag` of the wrapped session key. */
  wrapped_key?: string;
  /** Device the session key is shared with. */
  peer_id?: string;
  /** KMS session the key belongs to. */
  session_id?: string;
  /** Whether an ML-KEM-768 secret was mixed into the session key. */
  pqc?: boolean;
}

/**
 * Answer of `POST /get_session_key` while the link is compromised. Served
 * with HTTP 200 so that clients branch on `status`, not on the HTTP code.
 */
export interface LinkRedResponse {
  /** Why no key was issued. */
  error: string;
  /** Quantum bit error rate that tripped the alarm. */
  qber: number;
  status: "RED";
}

/** Answer of the KMS link status endpoint. */
export interface LinkStatusResponse {
  /** Current link health. */
  status: LinkStatus;
  /** Latest quantum bit error rate, 0 to 1. */
  qber: number;
  /** Session keys issued since start or reset. */
  total_keys_issued: number;
  /**
   * Incidents: times the link turned RED (`incidents`), since the KMS's
   * first start. (Before issue 18 it counted blocks at or above 11%.)
   */
  attacks_detected: number;
  /** Sessions currently holding a key. */
  active_sessions: number;
  /** Recent QBER values, oldest first. */
  history: number[];
  /** ISO 8601 time the router guard last polled, or `null` if never. */
  router_last_seen: string | null;
  /** Whether the simulated eavesdropper is on the channel (demo attack mode). */
  attack_mode: boolean;
  /** The continuously running link: settings, last block, key pool. */
  link: LinkReport;
  /** The open incident and the recent ones (absent from a KMS before issue 18). */
  incidents?: LinkIncidents;
}

/** Body of any KMS error answer (HTTP 4xx or 5xx). */
export interface ErrorResponse {
  /** Short machine-readable reason. */
  error: string;
  /** Human-readable detail. */
  message?: string;
}

/** One session in the answer of `GET /sessions`: metadata, never the key. */
export interface SessionInfo {
  /** Session id (UUID). */
  session_id: string;
  /** Device that created it. */
  initiator: string;
  /** The only device that may join. */
  peer: string;
  /** Whether the peer has joined. */
  joined: boolean;
  /** Id of the session's key. */
  key_id: string;
  /** QBER of the BB84 run that made the key. */
  qber: number;
  /** ISO 8601 creation time. */
  created_at: string;
}

/** Answer of ETSI GS QKD 014 `GET /api/v1/keys/{slave_SAE_ID}/status`. */
export interface EtsiStatusResponse {
  /** Id of the KME answering. */
  source_KME_ID: string;
  /** Id of the slave SAE's KME (the same KME here). */
  target_KME_ID: string;
  /** The calling SAE. */
  master_SAE_ID: string;
  /** The SAE the keys are for. */
  slave_SAE_ID: string;
  /** Key size when a request names none, in bits. */
  key_size: number;
  /** Whole keys of `key_size` bits the key pool holds now (0 while the link refuses keys). */
  stored_key_count: number;
  /** Whole keys of `key_size` bits the pool can hold (its capacity). */
  max_key_count: number;
  /** Most keys in one request. */
  max_key_per_request: number;
  /** Largest key size served, in bits. */
  max_key_size: number;
  /** Smallest key size served, in bits. */
  min_key_size: number;
  /** Additional slave SAEs a request may name (key multicast). */
  max_SAE_ID_count: number;
  /** Vendor facts: `qstcs_link_status: "RED"` while the link is down. */
  status_extension?: Record<string, unknown>;
}

/** Answer of ETSI GS QKD 014 `enc_keys` and `dec_keys`: the key container. */
export interface EtsiKeysResponse {
  /** The keys, base64, with their UUIDs. */
  keys: { key_ID: string; key: string }[];
}

/** Body of an ETSI GS QKD 014 error answer. */
export interface EtsiErrorResponse {
  /** Human-readable reason. */
  message: string;
  /** Further detail, e.g. the key ids that were not found. */
  details?: unknown[];
}

/**
 * Chat packet: an AES-256-GCM message that the relay forwards byte for byte.
 * The associated data binds every field except `nonce` and `ciphertext`.
 */
export interface ChatPacket {
  type: "chat";
  /** Device id of the author. */
  sender: string;
  /** Device id of the addressee, or `"*"` for every online device. */
  recipient: string;
  /** 12-byte GCM nonce as 24 lowercase hex characters. */
  nonce: string;
  /** Lowercase hex of the AES-256-GCM ciphertext followed by its 16-byte tag. */
  ciphertext: string;
  /** Unix time in seconds at which the sender encrypted the message. */
  timestamp: number;
  /** Unique message id, echoed by the relay in its {@linkcode AckFrame}. */
  id: string;
  /** Id of the session key that encrypted the message. */
  key_id: string;
  /** Per (sender, key_id) counter, a non-negative safe integer. */
  seq: number;
}

/** Relay's answer to a successful registration. */
export interface RegisteredFrame {
  type: "registered";
  /** Device id the connection is now registered as. */
  device_id: string;
  /** Device ids online, including this one. */
  online: string[];
  /** Send back as `resume` in a later register frame to replace this connection. */
  resume: string;
}

/** Sent by the relay to every client whenever a device comes or goes. */
export interface PresenceFrame {
  type: "presence";
  /** Device ids online. */
  online: string[];
}

/** Chat frame; the relay forwards it byte for byte. */
export type ChatFrame = ChatPacket;

/** Chat frame of older clients: no `type`, and `from`/`to` for routing. */
export interface LegacyChatFrame {
  /** Device id of the author. */
  from: string;
  /** Device id of the addressee. */
  to: string;
  /** Hex GCM nonce. */
  nonce: string;
  /** Hex ciphertext, without the tag. */
  ciphertext: string;
  /** Hex 16-byte GCM tag. */
  tag: string;
  /** KMS session whose key encrypted the message. */
  session_id?: string;
}

/**
 * Relay's receipt for a chat or room frame. For a chat frame to one device,
 * a `queued` ack is followed by a second one with the same id (`delivered`
 * or `dropped`) when the frame leaves the queue. A broadcast and a
 * `room_chat` frame get one ack only, with counts; a room frame's, of
 * members, is `queued` when some copies wait in members' queues, else
 * `delivered` when some member was handed it, else `dropped`.
 */
export interface AckFrame {
  type: "ack";
  /** `id` of the chat frame acknowledged. */
  id: string;
  /** What became of the frame. */
  status: AckStatus;
  /** For `queued` a {@linkcode QueueReason}, for `dropped` a {@linkcode DropReason}. */
  reason?: QueueReason | DropReason;
  /** Broadcast and room frames: devices the frame was handed to. */
  delivered?: number;
  /** Room frames: members whose copy waits in their queue. */
  queued?: number;
  /**
   * Broadcast: online devices skipped because they were not reading. Room
   * frames: members whose copy did not fit their queue.
   */
  dropped?: number;
}

/**
 * A client's liveness probe. The relay answers with a {@linkcode PongFrame}
 * at once: a socket that stays silent sits behind a network that drops the
 * chat port (a router cutting chat while the link is RED).
 */
export interface PingFrame {
  type: "ping";
  /** Any short id, echoed in the pong. */
  id: string;
}

/** The relay's answer to a {@linkcode PingFrame}. */
export interface PongFrame {
  type: "pong";
  /** The ping's id. */
  id: string;
}

/** Why the relay refused a frame (`unavailable`: a relay cluster's NATS did not answer). */
export type ErrorCode =
  | "bad_json"
  | "binary_frame"
  | "missing_field"
  | "bad_field"
  | "frame_too_large"
  | "not_registered"
  | "spoofed_sender"
  | "duplicate_device"
  | "rate_limited"
  | "unknown_type"
  | "ticket_required"
  | "ticket_invalid"
  | "room_refused"
  | "unavailable";

/** Relay's answer to a frame it refused. */
export interface ErrorFrame {
  type: "error";
  /** Machine-readable reason. */
  code: ErrorCode;
  /** Human-readable detail. */
  message: string;
}

/** Any frame exchanged between a client and the relay but rooms' (`RoomFrame`). */
export type RelayFrame =
  | RegisterFrame
  | LegacyRegisterFrame
  | RegisteredFrame
  | PresenceFrame
  | ChatFrame
  | LegacyChatFrame
  | AckFrame
  | PingFrame
  | PongFrame
  | ErrorFrame;
