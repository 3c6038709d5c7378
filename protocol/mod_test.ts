import { assertEquals, assertRejects } from "@std/assert";
import {
  decryptPacket,
  encryptPacket,
  generateKemKeyPair,
  importPacketKey,
  type KemKeyPair,
  PacketError,
  readEnvelope,
  ReplayGuard,
  type SessionKeyResponse,
  unwrapKey,
  wrapKey,
} from "./mod.ts";

const keyId = "k-42";

// The KMS side: one session key, wrapped separately for each device.
async function issue(
  sessionKey: Uint8Array,
  deviceId: string,
  device: KemKeyPair,
): Promise<string> {
  const wrapped = await wrapKey(sessionKey, device.publicKey, {
    context: `${keyId}|${deviceId}`,
  });
  const response: SessionKeyResponse = {
    key_id: keyId,
    qber: 0.02,
    status: "GREEN",
    kem_ciphertext: wrapped.kemCiphertext.toHex(),
    wrapped_key: wrapped.wrappedKey.toHex(),
    pqc: true,
  };
  return JSON.stringify(response);
}

// The device side: recover the packet key from the KMS answer.
async function receive(
  body: string,
  deviceId: string,
  device: KemKeyPair,
): Promise<CryptoKey> {
  const response: SessionKeyResponse = JSON.parse(body);
  const raw = await unwrapKey(
    {
      kemCiphertext: Uint8Array.fromHex(response.kem_ciphertext ?? ""),
      wrappedKey: Uint8Array.fromHex(response.wrapped_key ?? ""),
    },
    device.secretKey,
    { context: `${response.key_id}|${deviceId}` },
  );
  return await importPacketKey(raw);
}

Deno.test("a message travels from KMS key delivery through the relay", async () => {
  const alpha = generateKemKeyPair();
  const bravo = generateKemKeyPair();
  const sessionKey = crypto.getRandomValues(new Uint8Array(32));
  const alphaBody = await issue(sessionKey, "Soldier_Alpha", alpha);
  const bravoBody = await issue(sessionKey, "Soldier_Bravo", bravo);
  assertEquals(alphaBody.includes(sessionKey.toHex()), false);

  const alphaKey = await receive(alphaBody, "Soldier_Alpha", alpha);
  const bravoKey = await receive(bravoBody, "Soldier_Bravo", bravo);
  const frame = JSON.stringify(
    await encryptPacket(alphaKey, "Hold position", {
      sender: "Soldier_Alpha",
      recipient: "Soldier_Bravo",
      keyId,
      seq: 0,
    }),
  );

  const routed = readEnvelope(frame);
  assertEquals(routed.ok && routed.envelope.type === "chat", true);
  if (routed.ok && routed.envelope.type === "chat") {
    assertEquals(routed.envelope.recipient, "Soldier_Bravo");
  }

  const replayGuard = new ReplayGuard();
  const plaintext = await decryptPacket(bravoKey, JSON.parse(frame), {
    replayGuard,
  });
  assertEquals(new TextDecoder().decode(plaintext), "Hold position");
  const replay = await assertRejects(
    () => decryptPacket(bravoKey, JSON.parse(frame), { replayGuard }),
    PacketError,
  );
  assertEquals(replay.code, "replay");
});
