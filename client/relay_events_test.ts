import { assertEquals } from "@std/assert";
import {
  type AckFrame,
  type ChatPacket,
  RELAY_SHUTDOWN_REASON,
} from "../protocol/mod.ts";
import { connectedPair } from "./_test_fakes.ts";
import { type ClientEvent, describe } from "./messages.ts";
import { relayEvents } from "./relay_events.ts";

async function events() {
  const { conversation } = await connectedPair();
  conversation.connected = false;
  conversation.online = [];
  const said: string[] = [];
  const calls: string[] = [];
  const handlers = relayEvents({
    relayUrl: "ws://r",
    conversation,
    delivery: {
      onAck: (ack: AckFrame) => calls.push(`ack ${ack.id}`),
      flush: () => {
        calls.push("flush");
        return Promise.resolve();
      },
      connectionLost: () => calls.push("lost"),
    },
    incoming: {
      take: (packet: ChatPacket) => calls.push(`take ${packet.id}`),
      malformed: () => calls.push("malformed"),
    },
    keys: {
      rekey: () => {
        calls.push("rekey");
        return Promise.resolve();
      },
    },
    offerAgain: () => calls.push("offer"),
    say: (event: ClientEvent) => said.push(describe(event).text),
  });
  return { conversation, handlers, said, calls };
}

Deno.test("first registration offers; a reconnect re-keys; both flush", async () => {
  const { conversation, handlers, said, calls } = await events();
  handlers.onUp({ online: ["Soldier_Alpha"], reconnected: false });
  assertEquals(conversation.connected, true);
  handlers.onDown({ wasUp: true, reason: "closed" });
  assertEquals(conversation.connected, false);
  assertEquals(conversation.channel.sendKeyId, undefined, "suspended");
  handlers.onUp({
    online: ["Soldier_Alpha", "Soldier_Bravo"],
    reconnected: true,
  });
  assertEquals(calls, ["offer", "flush", "lost", "rekey", "flush"]);
  assertEquals(said, [
    "✓ Connected to the relay as Soldier_Alpha (Soldier_Bravo is offline).",
    "⚠ Lost the relay: a network or relay problem, not the quantum link (it is not RED). Reconnecting; typed lines are kept.",
    "✓ Reconnected to the relay — re-keying.",
  ]);
});

Deno.test("a lost relay says what is known: the alarm only with the link RED", async () => {
  const { conversation, handlers, said } = await events();
  const lose = (close?: { code: number; reason: string }) => {
    handlers.onUp({ online: ["Soldier_Alpha"], reconnected: false });
    said.length = 0;
    handlers.onDown({ wasUp: true, reason: "closed", ...close && { close } });
    return said[0];
  };
  // A laptop that slept: the relay closed it as idle, or it went silent.
  assertEquals(
    lose({ code: 1001, reason: "idle timeout" }),
    "⚠ Lost the relay: a network or relay problem, not the quantum link (it is not RED). Reconnecting; typed lines are kept.",
  );
  assertEquals(
    lose({ code: 1006, reason: "" }),
    "⚠ Lost the relay: a network or relay problem, not the quantum link (it is not RED). Reconnecting; typed lines are kept.",
  );
  assertEquals(
    lose({ code: 1001, reason: RELAY_SHUTDOWN_REASON }),
    "⚠ The relay is restarting (it said goodbye). Reconnecting; typed lines are kept.",
  );
  // The router's cut: the link is RED and the relay out of reach.
  conversation.linkRed = true;
  assertEquals(
    lose(),
    "❌ Connection lost — quantum channel may be compromised. Awaiting re-key.",
  );
});

Deno.test("a reconnect for an expired ticket re-keys and flushes like any other, without a word", async () => {
  const { conversation, handlers, said, calls } = await events();
  handlers.onUp({ online: ["Soldier_Alpha"], reconnected: false });
  said.length = 0;
  handlers.onDown({ wasUp: true, reason: "closed", ticketExpired: true });
  assertEquals(conversation.connected, false);
  handlers.onUp({
    online: ["Soldier_Alpha", "Soldier_Bravo"],
    reconnected: true,
    ticketExpired: true,
  });
  assertEquals(calls, ["offer", "flush", "lost", "rekey", "flush"]);
  assertEquals(said, []);
});

Deno.test("an unreachable relay is said once until it was up", async () => {
  const { handlers, said } = await events();
  handlers.onDown({ wasUp: false, reason: "refused" });
  handlers.onDown({ wasUp: false, reason: "refused" });
  handlers.onUp({ online: [], reconnected: false });
  handlers.onDown({ wasUp: false, reason: "timeout" });
  assertEquals(said.filter((l) => l.startsWith("⚠ Cannot reach")), [
    "⚠ Cannot reach the relay at ws://r (refused); retrying.",
    "⚠ Cannot reach the relay at ws://r (timeout); retrying.",
  ]);
});

Deno.test("frames go where they belong; presence and refusals are said on change", async () => {
  const { handlers, said, calls } = await events();
  const refusal = {
    type: "error",
    code: "rate_limited",
    message: "slow",
  } as const;
  handlers.onFrame({ type: "ack", id: "m-1", status: "delivered" });
  handlers.onFrame({ type: "presence", online: ["Soldier_Bravo"] });
  handlers.onFrame({ type: "presence", online: ["Soldier_Bravo", "X"] });
  handlers.onFrame({ type: "presence", online: [] });
  handlers.onFrame(refusal);
  handlers.onFrame(refusal);
  handlers.onBadFrame!({ ok: false, reason: "chat: bad", type: "chat" });
  handlers.onBadFrame!({ ok: false, reason: "not JSON" });
  assertEquals(calls, ["ack m-1", "malformed"]);
  assertEquals(said, [
    "• Soldier_Bravo is online.",
    "• Soldier_Bravo is offline.",
    "⚠ The relay refused a frame: rate_limited — slow",
  ]);
});

Deno.test("a ticket refused after renewal says why the device cannot register, once", async () => {
  const { handlers, said } = await events();
  const refusal = {
    type: "error",
    code: "ticket_invalid",
    message: "ticket refused: it is not signed by this relay's KMS",
  } as const;
  handlers.onFrame(refusal);
  handlers.onFrame(refusal);
  assertEquals(said.length, 1);
  assertEquals(
    said[0].startsWith(
      "✗ Soldier_Alpha cannot register with the relay at ws://r: it refused a fresh relay ticket from the KMS too (ticket refused: it is not signed by this relay's KMS).",
    ),
    true,
  );
});
