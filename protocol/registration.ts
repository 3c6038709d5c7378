/**
 * How a device registers with the relay, and proves it is the device its
 * ticket names. A ticket alone is not enough: every peer receives it inside
 * the signed handshake, so a relay that admitted on the ticket would admit
 * any peer as the ticket's device. The relay therefore opens each
 * connection with a {@linkcode ChallengeFrame} (a fresh random nonce), and
 * a ticketed `register` carries `proof`, the device's Ed25519 signature of
 * that nonce and its device id under {@linkcode REGISTER_PROOF_CONTEXT},
 * which the relay checks against the ticket's identity key.
 *
 * @example
 * ```ts
 * import { assert, assertFalse } from "@std/assert";
 * import { generateIdentity } from "./identity.ts";
 * import { newChallenge, proveRegistration, verifyRegistration } from "./registration.ts";
 *
 * const alpha = await generateIdentity();
 * const nonce = newChallenge();
 * const proof = await proveRegistration(alpha, { nonce, deviceId: "Soldier_Alpha" });
 * assert(await verifyRegistration(alpha.publicKey, { nonce, deviceId: "Soldier_Alpha", proof }));
 * // The same proof on another connection (another nonce) is worthless.
 * assertFalse(await verifyRegistration(alpha.publicKey, { nonce: newChallenge(), deviceId: "Soldier_Alpha", proof }));
 * ```
 *
 * @module
 */

import { type Identity, signMessage, verifyMessage } from "./identity.ts";

/** The signing context of registration proofs. */
export const REGISTER_PROOF_CONTEXT = "qstcs-relay-register-v1";

const encoder = new TextEncoder();
const BASE64URL = { alphabet: "base64url", omitPadding: true } as const;

/** The relay's first frame on every connection. */
export interface ChallengeFrame {
  type: "challenge";
  /** 32 random bytes, base64url without padding, for this connection only. */
  nonce: string;
}

/** First frame a client sends to the relay. */
export interface RegisterFrame {
  type: "register";
  /** Device the connection speaks for. */
  device_id: string;
  /**
   * The `resume` token of this device's previous `registered` frame: the new
   * connection replaces the old one (a reconnect after a dead socket).
   */
  resume?: string;
  /**
   * The device's relay ticket from the KMS (`POST /relay_ticket`), which a
   * relay not started with `--open` requires: see protocol/relay_ticket.ts.
   */
  ticket?: string;
  /** With a ticket: {@linkcode proveRegistration} of this connection's nonce. */
  proof?: string;
  /**
   * The devices this connection watches, as a `watch` frame would say
   * (protocol/room_frames.ts): its `registered` and `presence` frames then
   * list only itself and those of them online.
   */
  watch?: string[];
}

/** First frame an older client sends to the relay; it has no `type`. */
export interface LegacyRegisterFrame {
  /** Device the connection speaks for. */
  from: string;
}

/** A fresh challenge nonce (32 bytes from the system's CSPRNG). */
export function newChallenge(): string {
  return crypto.getRandomValues(new Uint8Array(32)).toBase64(BASE64URL);
}

/** Signs this connection's nonce and the device id (the device's side). */
export async function proveRegistration(
  identity: Identity,
  options: { nonce: string; deviceId: string },
): Promise<string> {
  const signature = await signMessage(identity, {
    context: REGISTER_PROOF_CONTEXT,
    message: transcript(options),
  });
  return signature.toBase64(BASE64URL);
}

/**
 * Whether `proof` is the holder of `publicKey`'s signature of this nonce
 * and device id. Anything malformed is `false`: it comes from the network.
 */
export async function verifyRegistration(
  publicKey: Uint8Array,
  options: { nonce: string; deviceId: string; proof: unknown },
): Promise<boolean> {
  if (typeof options.proof !== "string" || options.proof.length > 128) {
    return false;
  }
  let signature: Uint8Array;
  try {
    signature = Uint8Array.fromBase64(options.proof, BASE64URL);
  } catch {
    return false;
  }
  return await verifyMessage(publicKey, {
    context: REGISTER_PROOF_CONTEXT,
    message: transcript(options),
    signature,
  });
}

function transcript(options: { nonce: string; deviceId: string }): Uint8Array {
  return encoder.encode(JSON.stringify([options.nonce, options.deviceId]));
}
