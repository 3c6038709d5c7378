/**
 * Relay tickets: `GET /ticket_key` (the public key relays and peers verify
 * tickets with; public, no token) and `POST /relay_ticket` (a short-lived
 * ticket binding a device id to its Ed25519 identity key, signed by the KMS,
 * see protocol/relay_ticket.ts).
 *
 * The first ticket request after enrollment binds the key it names to the
 * device (unless enrollment bound one with `--public-key`); a different key
 * later is refused with 409 until the device is re-enrolled.
 *
 * @module
 */

import {
  IDENTITY_PUBLIC_KEY_LENGTH,
  issueTicket,
  publicKeyText,
  type RelayTicketResponse,
  type TicketKeyResponse,
} from "../protocol/mod.ts";
import { authorizeDevice } from "./caller.ts";
import { base64Field, deviceField } from "./fields.ts";
import { HttpError, json, readJsonObject } from "./http.ts";
import type { Handler } from "./router.ts";

/** `GET /ticket_key`. */
export const ticketKey: Handler = (_request, { kms }) =>
  json(
    {
      algorithm: "Ed25519",
      public_key: publicKeyText(kms.ticketKey.publicKey),
    } satisfies TicketKeyResponse,
  );

/** `POST /relay_ticket`: `{device_id, public_key}` → `{ticket, expires_at}`. */
export const relayTicket: Handler = async (request, context) => {
  const { kms, source } = context;
  const body = await readJsonObject(request);
  const device = deviceField(body, ["device_id"])!;
  const publicKey = base64Field(body, "public_key", {
    length: IDENTITY_PUBLIC_KEY_LENGTH,
    alphabet: "base64url",
  });
  if (!publicKey) {
    throw new HttpError(400, "missing_field", {
      message: "public_key is required (base64url Ed25519 public key)",
    });
  }
  authorizeDevice(request, context, { device, purpose: "relay tickets" });
  const text = publicKeyText(publicKey);
  // Under --open a device nobody enrolled gets a ticket for the key it names:
  // there is no binding to check it against.
  const binding = kms.store.bindPublicKey(device, text);
  if (!binding.ok && binding.reason === "key_mismatch") {
    kms.audit.limited(
      "TICKET_REFUSED",
      `device=${device} source=${source.address} reason=identity_key_mismatch`,
      { source: source.host },
    );
    throw new HttpError(409, "identity_key_mismatch", {
      message:
        `${device} is bound to another identity key: re-enroll the device to change its identity key (deno task kms:enroll ${device})`,
    });
  }
  if (binding.ok && binding.firstUse) {
    kms.audit.record(
      "IDENTITY_BOUND",
      `device=${device} source=${source.address} public_key=${text}`,
    );
  }
  const now = Math.floor(Date.now() / 1000);
  const lifetimeSeconds = kms.config.ticketLifetimeSeconds;
  const ticket = await issueTicket(kms.ticketKey, {
    deviceId: device,
    publicKey,
    now,
    lifetimeSeconds,
  });
  kms.audit.limited(
    "TICKET_ISSUED",
    `device=${device} source=${source.address} expires_in=${lifetimeSeconds}s`,
    { source: source.host },
  );
  return json(
    { ticket, expires_at: now + lifetimeSeconds } satisfies RelayTicketResponse,
  );
};
