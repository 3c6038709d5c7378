import { assertEquals } from "@std/assert";
import type { ChatPacket } from "../protocol/mod.ts";
import { connectedPair } from "./_test_fakes.ts";
import { CHUNK_BYTES } from "./attachments.ts";
import { Delivery, type DeliveryEvent, RESEND_MS } from "./delivery.ts";

function settled(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 10));
}

async function delivering() {
  const { conversation, bravo } = await connectedPair();
  const sent: ChatPacket[] = [];
  const events: DeliveryEvent[] = [];
  let up = true;
  const delivery = new Delivery({
    conversation,
    send: (packet) => up && sent.push(packet) > 0,
    onEvent: (event) => events.push(event),
    onError: (error) => {
      throw error;
    },
  });
  return {
    conversation,
    bravo,
    delivery,
    sent,
    events,
    setUp: (value: boolean) => up = value,
  };
}

Deno.test("a line goes out once per key, its acks are said once per state", async () => {
  const { delivery, sent, events, bravo } = await delivering();
  assertEquals(delivery.queueText("Hold position"), { ok: true });
  await delivery.flush();
  await delivery.flush();
  assertEquals(sent.length, 1);
  const got = await bravo.receive(sent[0]);
  assertEquals(got.kind === "content" && got.payload.t, "msg");
  delivery.onAck({
    type: "ack",
    id: sent[0].id,
    status: "queued",
    reason: "offline",
  });
  delivery.onAck({ type: "ack", id: sent[0].id, status: "delivered" });
  delivery.onAck({ type: "ack", id: "unknown", status: "delivered" });
  assertEquals(events.map((e) => e.kind === "ack" && [e.status, e.reason]), [
    ["queued", "offline"],
    ["delivered", undefined],
  ]);
  assertEquals(delivery.outbox.size(), 1, "kept until the receipt");
});

Deno.test("a line too long for a packet is refused with its size", async () => {
  const { delivery } = await delivering();
  const result = delivery.queueText("x".repeat(30_000));
  assertEquals(result.ok, false);
  assertEquals(!result.ok && result.size > 30_000, true);
  assertEquals(delivery.outbox.size(), 0);
});

Deno.test("nothing goes out while the link is RED or the relay is down", async () => {
  const { delivery, sent, conversation, setUp } = await delivering();
  delivery.queueText("one");
  conversation.linkRed = true;
  await delivery.flush();
  conversation.linkRed = false;
  setUp(false);
  await delivery.flush();
  assertEquals(sent.length, 0);
  setUp(true);
  await delivery.flush();
  assertEquals(sent.length, 1);
});

Deno.test("a line without receipt is sent again later, and that is said once", async () => {
  const { delivery, sent, events } = await delivering();
  delivery.queueText("one");
  await delivery.flush();
  const [entry] = delivery.outbox.entries();
  entry.sentAt = Date.now() - RESEND_MS - 1;
  await delivery.flush();
  entry.sentAt = Date.now() - RESEND_MS - 1;
  await delivery.flush();
  assertEquals(sent.length, 3);
  assertEquals(events.filter((e) => e.kind === "no_receipt").length, 1);
});

Deno.test("receipts owed go out at once, and are forgotten on a switch", async () => {
  const { delivery, sent, bravo, conversation } = await delivering();
  delivery.queueReceipt({ t: "receipt", mid: "m-1" });
  await settled();
  assertEquals(sent.length, 1);
  const got = await bravo.receive(sent[0]);
  assertEquals(got.kind === "content" && got.payload, {
    t: "receipt",
    mid: "m-1",
  });
  conversation.connected = false;
  delivery.queueReceipt({ t: "receipt", mid: "m-2" });
  delivery.forgetReceipts();
  conversation.connected = true;
  await delivery.flush();
  assertEquals(sent.length, 1);
});

Deno.test("an attachment goes a window of chunks at a time; a dropped chunk is said", async () => {
  const { delivery, sent, events, conversation } = await delivering();
  const data = new Uint8Array(CHUNK_BYTES * 6);
  delivery.outbox.add(conversation.peer, {
    kind: "file",
    name: "map.bin",
    data,
  });
  await delivery.flush();
  const until = async (count: number) => {
    for (let i = 0; i < 100 && sent.length < count; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  };
  await until(4);
  assertEquals(sent.length, 4, "the first window");
  delivery.onAck({ type: "ack", id: sent[0].id, status: "delivered" });
  await until(5);
  assertEquals(sent.length, 5);
  delivery.onAck({
    type: "ack",
    id: sent[1].id,
    status: "dropped",
    reason: "queue_full",
  });
  await until(6);
  assertEquals(sent.length, 6);
  // The connection goes: the window's waits end, the rest is not sent.
  delivery.connectionLost();
  await new Promise((resolve) => setTimeout(resolve, 10));
  assertEquals(sent.length, 6);
  assertEquals(events.map((e) => e.kind === "ack" && e.status), ["dropped"]);
  delivery.onAck({ type: "ack", id: sent[5].id, status: "delivered" });
  assertEquals(events.map((e) => e.kind === "ack" && e.status), [
    "dropped",
    "delivered",
  ]);
});
