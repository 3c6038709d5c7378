/**
 * QSTCS wire protocol: chat packets and their encryption, replay protection,
 * ML-KEM-768 wrapped key delivery, squad rooms' sender keys and frames,
 * relay envelopes, the relay's frames to clients and the shared KMS and
 * relay types. Pure: no I/O beyond WebCrypto.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import {
 *   decryptPacket,
 *   encryptPacket,
 *   importPacketKey,
 *   ReplayGuard,
 * } from "./mod.ts";
 *
 * const key = await importPacketKey(crypto.getRandomValues(new Uint8Array(32)));
 * const packet = await encryptPacket(key, "Hold position", {
 *   sender: "Soldier_Alpha",
 *   recipient: "Soldier_Bravo",
 *   keyId: "k-1",
 *   seq: 0,
 * });
 * const guard = new ReplayGuard();
 * const text = await decryptPacket(key, packet, { replayGuard: guard });
 * assertEquals(new TextDecoder().decode(text), "Hold position");
 * ```
 *
 * @module
 */

export * from "./aes_gcm.ts";
export * from "./credentials.ts";
export * from "./envelope.ts";
export * from "./identity.ts";
export * from "./incident.ts";
export * from "./key_wrap.ts";
export * from "./kms_event.ts";
export * from "./link_policy.ts";
export * from "./link_report.ts";
export * from "./packet.ts";
export * from "./registration.ts";
export * from "./relay_ticket.ts";
export * from "./replay_guard.ts";
export * from "./room.ts";
export * from "./room_api.ts";
export * from "./room_frames.ts";
export * from "./room_packet.ts";
export * from "./room_seal.ts";
export * from "./sender_key.ts";
export * from "./server_frame.ts";
export * from "./signed_statement.ts";
export * from "./soc_api.ts";
export * from "./soc_query.ts";
export * from "./types.ts";
