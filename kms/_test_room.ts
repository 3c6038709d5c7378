/**
 * Test helper: what a member does with a `POST /rooms/key` answer, as the
 * client does it (unwrap with its fresh ML-KEM-768 secret, under
 * `key_id|device_id`).
 *
 * @module
 */

import {
  generateKemKeyPair,
  KEM_PUBLIC_KEY_LENGTH,
  unwrapKey,
} from "../protocol/mod.ts";
import type { TestClient, TestResponse } from "./_test_kms.ts";

/** Whose key of which room and epoch, on which token. */
export interface RoomKeyAsk {
  device: string;
  room: string;
  epoch: number;
  headers?: Record<string, string>;
}

/**
 * `POST /rooms/key` for `ask`, with `kem` (default: a well-formed key
 * nobody holds, for answers that are refusals).
 */
export function askRoomKey(
  client: TestClient,
  ask: RoomKeyAsk,
  kem: Uint8Array = new Uint8Array(KEM_PUBLIC_KEY_LENGTH),
): Promise<TestResponse> {
  return client.post("/rooms/key", {
    device_id: ask.device,
    room: ask.room,
    epoch: ask.epoch,
    kem_public_key: kem.toBase64(),
  }, ask.headers);
}

/** A member's room key of `ask.epoch`: requested, answered 200, unwrapped. */
export async function fetchRoomKey(
  client: TestClient,
  ask: RoomKeyAsk,
): Promise<{ key: Uint8Array; keyId: string; text: string }> {
  const kem = generateKemKeyPair();
  const { device } = ask;
  const answer = await askRoomKey(client, ask, kem.publicKey);
  if (answer.status !== 200 || typeof answer.body.wrapped_key !== "string") {
    throw new Error(`room key for ${device}: ${answer.status} ${answer.text}`);
  }
  const keyId = answer.body.key_id as string;
  const key = await unwrapKey(
    {
      kemCiphertext: Uint8Array.fromBase64(
        answer.body.kem_ciphertext as string,
      ),
      wrappedKey: Uint8Array.fromBase64(answer.body.wrapped_key as string),
    },
    kem.secretKey,
    { context: `${keyId}|${device}` },
  );
  return { key, keyId, text: answer.text };
}
