/**
 * Admission by ticket: a register frame's `ticket`, checked offline against
 * the KMS's public ticket key with protocol's `verifyTicket`, and the
 * refusal that tells the client why it was not admitted.
 *
 * @module
 */

import { verifyTicket } from "../protocol/mod.ts";
import type { Refusal } from "./hub_state.ts";

/** What {@linkcode checkTicket} needs to know. */
export interface TicketCheckOptions {
  /** The KMS's Ed25519 ticket public key. */
  kmsKey: Uint8Array;
  /** The device the register frame claims. */
  deviceId: string;
  /** Unix time in seconds. */
  now: number;
}

/** Outcome of {@linkcode checkTicket}. */
export type TicketCheckResult =
  | {
    ok: true;
    /** The device's identity public key the ticket certifies. */
    publicKey: Uint8Array;
    /** Unix time in seconds when the ticket expires. */
    expiresAt: number;
  }
  | { ok: false; refusal: Refusal };

/**
 * Checks the ticket of a register frame: the identity key and expiry it
 * certifies when it is a valid ticket for the device, else the refusal to
 * send.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { generateIdentity, issueTicket } from "../protocol/mod.ts";
 * import { checkTicket } from "./ticket_check.ts";
 *
 * const kms = await generateIdentity();
 * const device = await generateIdentity();
 * const ticket = await issueTicket(kms, {
 *   deviceId: "Soldier_Alpha",
 *   publicKey: device.publicKey,
 *   now: 1000,
 *   lifetimeSeconds: 3600,
 * });
 * const options = { kmsKey: kms.publicKey, deviceId: "Soldier_Alpha", now: 2000 };
 * assertEquals(await checkTicket(ticket, options), {
 *   ok: true,
 *   publicKey: device.publicKey,
 *   expiresAt: 4600,
 * });
 * const missing = await checkTicket(undefined, options);
 * assertEquals(!missing.ok && missing.refusal.code, "ticket_required");
 * const other = await checkTicket(ticket, { ...options, deviceId: "Soldier_Bravo" });
 * assertEquals(!other.ok && other.refusal.code, "ticket_invalid");
 * ```
 */
export async function checkTicket(
  ticket: string | undefined,
  options: TicketCheckOptions,
): Promise<TicketCheckResult> {
  if (ticket === undefined) {
    return {
      ok: false,
      refusal: {
        code: "ticket_required",
        message: `this relay admits ${options.deviceId} only with a relay ` +
          "ticket from the KMS (POST /relay_ticket) in the register frame's " +
          "ticket field",
      },
    };
  }
  const checked = await verifyTicket(ticket, {
    kmsKey: options.kmsKey,
    now: options.now,
    deviceId: options.deviceId,
  });
  if (checked.ok) {
    return {
      ok: true,
      publicKey: checked.publicKey,
      expiresAt: checked.ticket.expires_at,
    };
  }
  const why = {
    malformed: "it is malformed",
    bad_signature:
      "it is not signed by this relay's KMS (forged, or from another KMS)",
    expired: "it has expired: ask the KMS for a new one",
    not_yet_valid: "it is not valid yet: check the clocks of KMS and relay",
    wrong_device: `it was issued for another device, not ${options.deviceId}`,
  }[checked.reason];
  return {
    ok: false,
    refusal: { code: "ticket_invalid", message: `ticket refused: ${why}` },
  };
}
