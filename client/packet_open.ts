/**
 * A received chat packet opened: decrypted under its key (recorded against
 * replays) and its payload decoded, or why not.
 *
 * @module
 */

import {
  type ChatPacket,
  decryptPacket,
  PacketError,
  type ReplayGuard,
} from "../protocol/mod.ts";
import { type ChatPayload, decodePayload, PayloadError } from "./payload.ts";

/** Why {@linkcode openPayload} refused a packet. */
export type OpenRefusal = "tampered" | "replay" | "malformed";

/**
 * Decrypts a chat packet (recording it in `replayGuard`) and decodes its
 * payload, or says why not: `tampered` (failed authentication), `replay`,
 * `malformed` (a bad packet, or an authentic one without a valid payload).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { encryptPacket, importPacketKey, ReplayGuard } from "../protocol/mod.ts";
 * import { encodePayload } from "./payload.ts";
 * import { openPayload } from "./packet_open.ts";
 * const key = await importPacketKey(crypto.getRandomValues(new Uint8Array(32)));
 * const packet = await encryptPacket(
 *   key,
 *   encodePayload({ t: "msg", mid: "m-1", text: "hi" }),
 *   { sender: "A", recipient: "B", keyId: "k-1", seq: 0 },
 * );
 * const replayGuard = new ReplayGuard();
 * assertEquals(await openPayload(key, packet, { replayGuard }), {
 *   ok: true,
 *   payload: { t: "msg", mid: "m-1", text: "hi" },
 * });
 * assertEquals(await openPayload(key, packet, { replayGuard }), {
 *   ok: false,
 *   reason: "replay",
 * });
 * ```
 */
export async function openPayload(
  key: CryptoKey,
  packet: ChatPacket,
  options: { replayGuard: ReplayGuard },
): Promise<
  { ok: true; payload: ChatPayload } | { ok: false; reason: OpenRefusal }
> {
  let plaintext: Uint8Array;
  try {
    plaintext = await decryptPacket(key, packet, options);
  } catch (error) {
    if (!(error instanceof PacketError)) throw error;
    const reason = error.code === "replay"
      ? "replay"
      : error.code === "auth_failed"
      ? "tampered"
      : "malformed";
    return { ok: false, reason };
  }
  try {
    return { ok: true, payload: decodePayload(plaintext) };
  } catch (error) {
    if (error instanceof PayloadError) {
      return { ok: false, reason: "malformed" };
    }
    throw error;
  }
}
