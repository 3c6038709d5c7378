/**
 * Relay tickets from the KMS: its public ticket key and this device's
 * ticket (protocol/relay_ticket.ts), which certifies the device's identity
 * key to the relay and to peers.
 *
 * @module
 */

import {
  publicKeyText,
  readPublicKey,
  type RelayTicketRequest,
  type RelayTicketResponse,
} from "../protocol/mod.ts";
import {
  call,
  describe,
  headers,
  type KmsCallOptions,
  KmsError,
} from "./kms_http.ts";

/** What the KMS answered to `GET /ticket_key`. */
export type TicketKeyAnswer =
  | { ok: true; publicKey: Uint8Array }
  /** 404: a KMS from before relay tickets. */
  | { ok: false; reason: "no_tickets" };

/** What the KMS answered to `POST /relay_ticket`. */
export type TicketAnswer =
  | { ok: true; ticket: string; expiresAt: number }
  | {
    ok: false;
    /**
     * `unauthorized` (401: no token, or an unknown one), `forbidden` (403:
     * not a device's token), `key_mismatch` (409: the KMS holds another
     * identity key for the device), `no_tickets` (404).
     */
    reason: "unauthorized" | "forbidden" | "key_mismatch" | "no_tickets";
    /** The KMS's words. */
    message: string;
  };

/**
 * Reads the KMS's public ticket key (`GET /ticket_key`), which peers'
 * tickets are checked against.
 *
 * @throws {KmsError} when the KMS is unreachable or answers nonsense.
 */
export async function fetchTicketKey(
  kmsUrl: string,
  options: KmsCallOptions = {},
): Promise<TicketKeyAnswer> {
  const { status, json } = await call(new URL("/ticket_key", kmsUrl), {
    signal: options.signal,
  }, options.timeoutMs);
  if (status === 404) return { ok: false, reason: "no_tickets" };
  const read = status === 200 && json.algorithm === "Ed25519"
    ? readPublicKey(json.public_key)
    : undefined;
  if (!read?.ok) {
    throw new KmsError(`KMS ticket key: HTTP ${status}: ${describe(json)}`, {
      status,
    });
  }
  return { ok: true, publicKey: read.key };
}

/**
 * Asks the KMS for this device's relay ticket (`POST /relay_ticket`, with
 * its token), certifying its identity key.
 *
 * @throws {KmsError} when the KMS is unreachable or answers nonsense.
 */
export async function requestRelayTicket(
  kmsUrl: string,
  request: { deviceId: string; token?: string; publicKey: Uint8Array },
  options: KmsCallOptions = {},
): Promise<TicketAnswer> {
  const body: RelayTicketRequest = {
    device_id: request.deviceId,
    public_key: publicKeyText(request.publicKey),
  };
  const { status, json } = await call(new URL("/relay_ticket", kmsUrl), {
    method: "POST",
    headers: headers(request.token),
    body: JSON.stringify(body),
    signal: options.signal,
  }, options.timeoutMs);
  const refusal = ({
    401: "unauthorized",
    403: "forbidden",
    404: "no_tickets",
    409: "key_mismatch",
  } as const)[status as 401];
  if (refusal) return { ok: false, reason: refusal, message: describe(json) };
  const answer = json as Partial<RelayTicketResponse>;
  if (
    status !== 200 || typeof answer.ticket !== "string" ||
    typeof answer.expires_at !== "number"
  ) {
    throw new KmsError(`KMS relay ticket: HTTP ${status}: ${describe(json)}`, {
      status,
    });
  }
  return { ok: true, ticket: answer.ticket, expiresAt: answer.expires_at };
}
