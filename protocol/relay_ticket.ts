/**
 * Relay tickets: the KMS's short-lived statement "device D holds identity
 * key P until T", signed with the KMS's Ed25519 ticket key. A client
 * presents its ticket when it registers with the relay, which verifies it
 * offline with the KMS's public ticket key; peers verify each other's
 * tickets in the end-to-end handshake, so an identity key is one the KMS
 * certified for that device.
 *
 * A ticket is `base64url(JSON payload) "." base64url(signature)`, the
 * signature over the payload's bytes under the context
 * {@linkcode TICKET_CONTEXT}.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { generateIdentity } from "./identity.ts";
 * import { issueTicket, verifyTicket } from "./relay_ticket.ts";
 *
 * const kms = await generateIdentity();
 * const device = await generateIdentity();
 * const ticket = await issueTicket(kms, {
 *   deviceId: "Soldier_Alpha",
 *   publicKey: device.publicKey,
 *   now: 1000,
 *   lifetimeSeconds: 3600,
 * });
 * const checked = await verifyTicket(ticket, { kmsKey: kms.publicKey, now: 2000 });
 * assertEquals(checked.ok && checked.ticket.device_id, "Soldier_Alpha");
 * const late = await verifyTicket(ticket, { kmsKey: kms.publicKey, now: 9000 });
 * assertEquals(late, { ok: false, reason: "expired" });
 * ```
 *
 * @module
 */

import { type Identity, publicKeyText, readPublicKey } from "./identity.ts";
import {
  isUnixSeconds,
  readStatement,
  signStatement,
  STATEMENT_CLOCK_SKEW_SECONDS,
  validityAt,
} from "./signed_statement.ts";
import { isDeviceId } from "./types.ts";

/** The signing context of tickets. */
export const TICKET_CONTEXT = "qstcs-relay-ticket-v1";
/** The file in the KMS's data directory that holds its public ticket key. */
export const TICKET_PUBLIC_KEY_FILE = "ticket_key.pub";
/** Longest accepted ticket text, so a hostile one costs nothing to refuse. */
export const MAX_TICKET_LENGTH = 1024;
/** Clock difference between KMS and verifier tolerated at both ends, in s. */
export const TICKET_CLOCK_SKEW_SECONDS = STATEMENT_CLOCK_SKEW_SECONDS;

/** What a ticket says. Times are Unix seconds. */
export interface RelayTicket {
  /** Format version. */
  v: 1;
  /** The device the KMS enrolled. */
  device_id: string;
  /** Its Ed25519 identity public key, base64url without padding. */
  public_key: string;
  /** When the KMS issued it. */
  issued_at: number;
  /** After this it is refused. */
  expires_at: number;
}

/** Why a ticket was refused. */
export type TicketRefusal =
  | "malformed"
  | "bad_signature"
  | "expired"
  | "not_yet_valid"
  | "wrong_device";

/** The outcome of {@linkcode verifyTicket}. */
export type TicketCheck =
  | { ok: true; ticket: RelayTicket; publicKey: Uint8Array }
  | { ok: false; reason: TicketRefusal };

/** Signs a ticket for `deviceId`'s identity key (the KMS's side). */
export function issueTicket(
  kms: Identity,
  options: {
    deviceId: string;
    publicKey: Uint8Array;
    now: number;
    lifetimeSeconds: number;
  },
): Promise<string> {
  const payload: RelayTicket = {
    v: 1,
    device_id: options.deviceId,
    public_key: publicKeyText(options.publicKey),
    issued_at: Math.floor(options.now),
    expires_at: Math.floor(options.now + options.lifetimeSeconds),
  };
  return signStatement(kms, { context: TICKET_CONTEXT, payload });
}

/**
 * Checks a ticket offline: the KMS's signature, its validity period at
 * `now` (Unix seconds) and, when given, that it names `deviceId`.
 */
export async function verifyTicket(
  text: unknown,
  options: { kmsKey: Uint8Array; now: number; deviceId?: string },
): Promise<TicketCheck> {
  const read = await readStatement(text, {
    context: TICKET_CONTEXT,
    kmsKey: options.kmsKey,
    maxLength: MAX_TICKET_LENGTH,
    read: readPayload,
  });
  if (!read.ok) return read;
  const { ticket, publicKey } = read.payload;
  const validity = validityAt(ticket, options.now);
  if (validity !== "valid") return { ok: false, reason: validity };
  if (options.deviceId !== undefined && options.deviceId !== ticket.device_id) {
    return { ok: false, reason: "wrong_device" };
  }
  return { ok: true, ticket, publicKey };
}

function readPayload(
  t: Record<string, unknown>,
): { ticket: RelayTicket; publicKey: Uint8Array } | null {
  if (
    t.v !== 1 || !isDeviceId(t.device_id) || !isUnixSeconds(t.issued_at) ||
    !isUnixSeconds(t.expires_at)
  ) {
    return null;
  }
  const key = readPublicKey(t.public_key);
  if (!key.ok) return null;
  return { ticket: t as unknown as RelayTicket, publicKey: key.key };
}

/**
 * Body of `POST /relay_ticket` (bearer token of `device_id`): the device's
 * Ed25519 identity key, bound to the device at its first request after
 * enrollment (or at enrollment with `--public-key`).
 */
export interface RelayTicketRequest {
  /** The requesting device. */
  device_id: string;
  /** Its 32-byte Ed25519 public key, base64url without padding. */
  public_key: string;
}

/** Answer of `POST /relay_ticket`. */
export interface RelayTicketResponse {
  /** The signed ticket (protocol/relay_ticket.ts). */
  ticket: string;
  /** Unix seconds after which it is refused; ask again before. */
  expires_at: number;
}

/** Answer of `GET /ticket_key`: what relays and peers verify tickets with. */
export interface TicketKeyResponse {
  /** Always Ed25519. */
  algorithm: "Ed25519";
  /** The KMS's 32-byte ticket public key, base64url without padding. */
  public_key: string;
}
