import { assertEquals } from "@std/assert";
import type { ChatPacket } from "../protocol/mod.ts";
import { connectedPair, testKey } from "./_test_fakes.ts";
import { Delivery } from "./delivery.ts";
import { Inbox } from "./inbox.ts";
import { Incoming, type IncomingEvent } from "./incoming.ts";
import type { KmsKey } from "./kms_client.ts";
import { SecureChannel } from "./secure_channel.ts";

async function receiving(fetchable: KmsKey[] = []) {
  const { conversation, bravo } = await connectedPair();
  const sent: ChatPacket[] = [];
  const events: IncomingEvent[] = [];
  const messages: string[] = [];
  let receipts = 0;
  const delivery = new Delivery({
    conversation,
    send: (packet) => sent.push(packet) > 0,
    onEvent: () => {},
    onError: (error) => {
      throw error;
    },
  });
  const incoming = new Incoming({
    conversation,
    keys: {
      fetch: async (holder, keyId) => {
        const key = fetchable.find((key) => key.keyId === keyId);
        if (key) await holder.storeKey(key);
        return key !== undefined;
      },
    },
    inbox: new Inbox({ maxFileBytes: 1024 }),
    delivery,
    send: (packet) => sent.push(packet) > 0,
    onEvent: (event) => events.push(event),
    onMessage: (sender, line) => messages.push(`${sender}> ${line.text}`),
    onReceipt: () => receipts++,
  });
  return {
    conversation,
    bravo,
    delivery,
    incoming,
    sent,
    events,
    messages,
    receipts: () => receipts,
  };
}

Deno.test("a message is shown once and a receipt owed for it", async () => {
  const { bravo, incoming, sent, messages } = await receiving();
  const packet = await bravo.seal({ t: "msg", mid: "m-1", text: "Move out" });
  incoming.take(packet!);
  await incoming.settled();
  assertEquals(messages, ["Soldier_Bravo> Move out"]);
  await new Promise((resolve) => setTimeout(resolve, 10));
  const receipt = await bravo.receive(sent[0]);
  assertEquals(receipt.kind === "content" && receipt.payload, {
    t: "receipt",
    mid: "m-1",
  });
});

Deno.test("a receipt confirms the outbox entry; a refusal is said", async () => {
  const { bravo, incoming, delivery, events, receipts, conversation } =
    await receiving();
  delivery.outbox.add(conversation.peer, { kind: "msg", text: "one" });
  const [entry] = delivery.outbox.entries();
  incoming.take(
    (await bravo.seal({ t: "receipt", mid: entry.mid, refused: "no" }))!,
  );
  await incoming.settled();
  assertEquals(delivery.outbox.size(), 0);
  assertEquals(receipts(), 1);
  assertEquals(events, [{
    kind: "receipt_refused",
    sender: "Soldier_Bravo",
    entry,
    refused: "no",
  }]);
});

Deno.test("replays, tampering and strangers are reported; RED reads nothing", async () => {
  const { bravo, incoming, events, messages, conversation } = await receiving();
  const packet = (await bravo.seal({ t: "msg", mid: "m-1", text: "a" }))!;
  incoming.take(packet);
  incoming.take(packet);
  const flipped = packet.ciphertext.startsWith("0") ? "1" : "0";
  incoming.take({
    ...(await bravo.seal({ t: "msg", mid: "m-2", text: "b" }))!,
    ciphertext: flipped + packet.ciphertext.slice(1),
  });
  const mallory = new SecureChannel({
    deviceId: "Soldier_Mallory",
    peerId: "Soldier_Alpha",
  });
  const offer = (await mallory.adoptKey(testKey("k-9")))!;
  incoming.take(offer);
  incoming.take(offer);
  incoming.malformed();
  await incoming.settled();
  conversation.linkRed = true;
  incoming.take((await bravo.seal({ t: "msg", mid: "m-3", text: "c" }))!);
  await incoming.settled();
  assertEquals(messages, ["Soldier_Bravo> a"]);
  assertEquals(events, [
    { kind: "packet_refused", reason: "replay" },
    { kind: "packet_refused", reason: "tampered" },
    { kind: "stranger", sender: "Soldier_Mallory", peer: "Soldier_Bravo" },
    { kind: "packet_refused", reason: "malformed" },
  ]);
});

Deno.test("a new KMS key is fetched, the handshake answered and chat opened", async () => {
  const key = testKey("k-2");
  const { bravo, incoming, sent, events } = await receiving([key]);
  await bravo.storeKey(key);
  const offer = (await bravo.adoptKey(key))!;
  incoming.take(offer);
  await incoming.settled();
  assertEquals(events, [{
    kind: "e2e_ready",
    peer: "Soldier_Bravo",
    kmsKeyId: "k-2",
  }]);
  assertEquals(sent.length, 1, "the ML-KEM reply");
  assertEquals((await bravo.receive(sent[0])).kind, "handshake");
});

Deno.test("a packet under a key the KMS does not have is dropped quietly here", async () => {
  const { incoming, events, messages } = await receiving();
  const stranger = new SecureChannel({
    deviceId: "Soldier_Bravo",
    peerId: "Soldier_Alpha",
  });
  incoming.take((await stranger.adoptKey(testKey("k-404")))!);
  await incoming.settled();
  assertEquals(events, []);
  assertEquals(messages, []);
});

Deno.test("a plain receipt confirms the entry: the second mark", async () => {
  const { bravo, incoming, delivery, events, conversation } = await receiving();
  const entry = delivery.outbox.add(conversation.peer, {
    kind: "msg",
    text: "one",
  });
  incoming.take((await bravo.seal({ t: "receipt", mid: entry.mid }))!);
  await incoming.settled();
  assertEquals(events, [{ kind: "confirmed", sender: "Soldier_Bravo", entry }]);
});

Deno.test("switched to another peer: the former peer's line is not shown, and it is told so once", async () => {
  const { bravo, incoming, sent, events, messages, conversation } =
    await receiving();
  conversation.switchTo("Soldier_Charlie");
  const line = (await bravo.seal({ t: "msg", mid: "m-7", text: "Move" }))!;
  incoming.take(line);
  incoming.take((await bravo.seal({ t: "msg", mid: "m-7", text: "Move" }))!);
  await incoming.settled();
  assertEquals(messages, []);
  assertEquals(events, [{
    kind: "stranger",
    sender: "Soldier_Bravo",
    peer: "Soldier_Charlie",
  }]);
  assertEquals(sent.length, 1);
  const notice = await bravo.receive(sent[0]);
  assertEquals(notice.kind === "content" && notice.payload, {
    t: "elsewhere",
    mid: "m-7",
  });
});

Deno.test("the peer says it is elsewhere: said once, and the line is kept", async () => {
  const { bravo, incoming, delivery, events, conversation } = await receiving();
  const entry = delivery.outbox.add(conversation.peer, {
    kind: "msg",
    text: "one",
  });
  for (let i = 0; i < 2; i++) {
    incoming.take((await bravo.seal({ t: "elsewhere", mid: entry.mid }))!);
  }
  await incoming.settled();
  assertEquals(events, [{
    kind: "peer_elsewhere",
    sender: "Soldier_Bravo",
    entry,
  }]);
  assertEquals(delivery.outbox.has(entry.mid), true);
});
