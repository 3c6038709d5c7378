import { assertEquals } from "@std/assert";
import {
  type ChatPacket,
  encryptPacket,
  importPacketKey,
} from "../protocol/mod.ts";
import type { KmsKey } from "./kms_client.ts";
import { encodePayload } from "./payload.ts";
import type { Received } from "./channel_results.ts";
import { SecureChannel } from "./secure_channel.ts";

function kmsKey(keyId = "k-1"): KmsKey {
  return {
    keyId,
    key: crypto.getRandomValues(new Uint8Array(32)),
    qber: 0.02,
    status: "GREEN",
  };
}

function channels(now?: () => number) {
  return {
    alpha: new SecureChannel({
      deviceId: "Soldier_Alpha",
      peerId: "Soldier_Bravo",
      now,
    }),
    bravo: new SecureChannel({
      deviceId: "Soldier_Bravo",
      peerId: "Soldier_Alpha",
      now,
    }),
  };
}

function handshake(
  received: Received,
): Extract<Received, { kind: "handshake" }> {
  assertEquals(received.kind, "handshake");
  return received as Extract<Received, { kind: "handshake" }>;
}

/** Alpha offers for `key`, Bravo answers: both hold the hybrid key. */
async function connected(key = kmsKey()) {
  const { alpha, bravo } = channels();
  await bravo.storeKey(key);
  const offer = (await alpha.adoptKey(key))!;
  const answer = handshake(await bravo.receive(offer));
  assertEquals(answer.established, "k-1+mlkem");
  assertEquals(
    handshake(await alpha.receive(answer.reply!)).established,
    "k-1+mlkem",
  );
  return { alpha, bravo, key };
}

async function text(
  channel: SecureChannel,
  packet: ChatPacket,
): Promise<string> {
  const received = await channel.receive(packet);
  assertEquals(received.kind, "content");
  const payload = (received as Extract<Received, { kind: "content" }>).payload;
  if (payload.t !== "msg") throw new Error(`not a message: ${payload.t}`);
  return payload.text;
}

Deno.test("the handshake runs under the KMS key, messages under the hybrid key", async () => {
  const key = kmsKey();
  const { alpha, bravo } = channels();
  assertEquals(
    await alpha.seal({ t: "msg", mid: "m", text: "too early" }),
    null,
  );
  await bravo.storeKey(key);
  const offer = (await alpha.adoptKey(key))!;
  assertEquals(offer.key_id, "k-1");
  assertEquals(alpha.status.offerSentAt !== undefined, true);
  const answer = handshake(await bravo.receive(offer));
  assertEquals(answer.reply!.key_id, "k-1");
  await alpha.receive(answer.reply!);
  assertEquals(alpha.sendKeyId, "k-1+mlkem");
  assertEquals(alpha.status, {
    keyId: "k-1",
    qber: 0.02,
    sendKeyId: "k-1+mlkem",
    offerSentAt: undefined,
  });
  const packet =
    (await alpha.seal({ t: "msg", mid: "m-1", text: "Hold position" }))!;
  assertEquals(packet.key_id, "k-1+mlkem");
  assertEquals(packet.sender, "Soldier_Alpha");
  assertEquals(packet.recipient, "Soldier_Bravo");
  assertEquals(await text(bravo, packet), "Hold position");
  const back = (await bravo.seal({ t: "msg", mid: "m-2", text: "Copy" }))!;
  assertEquals(await text(alpha, back), "Copy");
});

Deno.test("glare: the offer of the id that sorts first wins, both end with one key", async () => {
  const key = kmsKey();
  const { alpha, bravo } = channels();
  const alphaOffer = (await alpha.adoptKey(key))!;
  const bravoOffer = (await bravo.adoptKey(key))!;
  // Alpha sorts first: it ignores Bravo's offer and sends its own again.
  const atAlpha = handshake(await alpha.receive(bravoOffer));
  assertEquals(atAlpha.established, undefined);
  assertEquals(atAlpha.reply!.key_id, "k-1");
  // Bravo drops its offer and answers Alpha's.
  const atBravo = handshake(await bravo.receive(alphaOffer));
  assertEquals(atBravo.established, "k-1+mlkem");
  assertEquals(
    handshake(await alpha.receive(atBravo.reply!)).established,
    "k-1+mlkem",
  );
  // The repeated offer gets the same answer, which Alpha no longer needs.
  const again = handshake(await bravo.receive(atAlpha.reply!));
  assertEquals(again.established, undefined);
  assertEquals((await alpha.receive(again.reply!)).kind, "ignored");
  const packet = (await bravo.seal({ t: "msg", mid: "m", text: "one key" }))!;
  assertEquals(await text(alpha, packet), "one key");
});

Deno.test("glare: the losing offer arriving after the handshake is ignored, both keep one key", async () => {
  const key = kmsKey();
  const { alpha, bravo } = channels();
  const alphaOffer = (await alpha.adoptKey(key))!;
  const bravoOffer = (await bravo.adoptKey(key))!;
  // Bravo sees Alpha's offer first (its id sorts first): Bravo answers it.
  const answer = handshake(await bravo.receive(alphaOffer));
  assertEquals(
    handshake(await alpha.receive(answer.reply!)).established,
    "k-1+mlkem",
  );
  // Bravo's own offer was on its way all along and reaches Alpha late.
  assertEquals((await alpha.receive(bravoOffer)).kind, "ignored");
  const packet = (await alpha.seal({ t: "msg", mid: "m", text: "one key" }))!;
  assertEquals(await text(bravo, packet), "one key");
  const back = (await bravo.seal({ t: "msg", mid: "n", text: "agreed" }))!;
  assertEquals(await text(alpha, back), "agreed");
});

Deno.test("a flipped bit is tampering, a repeated packet a replay", async () => {
  const { alpha, bravo } = await connected();
  const packet = (await alpha.seal({ t: "msg", mid: "m", text: "x" }))!;
  const flipped = {
    ...packet,
    ciphertext: (packet.ciphertext[0] === "0" ? "1" : "0") +
      packet.ciphertext.slice(1),
  };
  assertEquals(await bravo.receive(flipped), {
    kind: "refused",
    reason: "tampered",
  });
  assertEquals(await text(bravo, packet), "x");
  assertEquals(await bravo.receive(packet), {
    kind: "refused",
    reason: "replay",
  });
});

Deno.test("whoever holds only the KMS key cannot write messages", async () => {
  const { bravo, key } = await connected();
  const forged = await encryptPacket(
    await importPacketKey(key.key),
    encodePayload({ t: "msg", mid: "m", text: "from the KMS" }),
    {
      sender: "Soldier_Alpha",
      recipient: "Soldier_Bravo",
      keyId: "k-1",
      seq: 99,
    },
  );
  assertEquals(await bravo.receive(forged), {
    kind: "refused",
    reason: "wrong_key",
  });
});

Deno.test("a packet under an unknown KMS key asks for it", async () => {
  const key = kmsKey();
  const { alpha, bravo } = channels();
  const offer = (await alpha.adoptKey(key))!;
  assertEquals(await bravo.receive(offer), { kind: "need_key", keyId: "k-1" });
  assertEquals(bravo.hasKey("k-1"), false);
  await bravo.storeKey(key);
  assertEquals(bravo.hasKey("k-1"), true);
  assertEquals(handshake(await bravo.receive(offer)).established, "k-1+mlkem");
});

Deno.test("messages that overtake the handshake wait for it", async () => {
  let now = 0;
  const key = kmsKey();
  const { alpha, bravo } = channels(() => now);
  await bravo.storeKey(key);
  const offer = (await alpha.adoptKey(key))!;
  const answer = handshake(await bravo.receive(offer));
  const early = (await bravo.seal({ t: "msg", mid: "m", text: "early" }))!;
  assertEquals(await alpha.receive(early), { kind: "held" });
  const done = handshake(await alpha.receive(answer.reply!));
  assertEquals(done.released, [early]);
  assertEquals(await text(alpha, done.released[0]), "early");
  // Held packets whose key never comes are dropped after a while.
  const stray = { ...early, key_id: "k-9+mlkem" };
  assertEquals(await alpha.receive(stray), { kind: "held" });
  now += 5000;
  assertEquals(alpha.expireHeld(), 0);
  now += 20_000;
  assertEquals(alpha.expireHeld(), 1);
});

Deno.test("suspend stops sending until the next handshake", async () => {
  const { alpha, bravo } = await connected();
  alpha.suspend();
  assertEquals(alpha.sendKeyId, undefined);
  assertEquals(await alpha.seal({ t: "receipt", mid: "m" }), null);
  // The old key still opens packets already on their way.
  const late = (await bravo.seal({ t: "msg", mid: "m", text: "late" }))!;
  assertEquals(await text(alpha, late), "late");
  const fresh = kmsKey("k-2");
  await bravo.storeKey(fresh);
  const offer = (await alpha.adoptKey(fresh))!;
  const answer = handshake(await bravo.receive(offer));
  assertEquals(
    handshake(await alpha.receive(answer.reply!)).established,
    "k-2+mlkem",
  );
  assertEquals(bravo.sendKeyId, "k-2+mlkem");
});

Deno.test("adopting a key whose handshake is done needs no new offer", async () => {
  const { alpha, key } = await connected();
  alpha.suspend();
  assertEquals(await alpha.adoptKey(key), null);
  assertEquals(alpha.sendKeyId, "k-1+mlkem");
  assertEquals(await alpha.offer(), null);
});

Deno.test("a reply to an offer dropped by suspend is ignored", async () => {
  const key = kmsKey();
  const { alpha, bravo } = channels();
  await bravo.storeKey(key);
  const offer = (await alpha.adoptKey(key))!;
  alpha.suspend();
  const answer = handshake(await bravo.receive(offer));
  assertEquals(await alpha.receive(answer.reply!), { kind: "ignored" });
  assertEquals(alpha.sendKeyId, undefined);
});
