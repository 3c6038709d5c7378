import { assertEquals, assertNotStrictEquals } from "@std/assert";
import { connectedPair } from "./_test_fakes.ts";
import { Conversation } from "./conversation.ts";

Deno.test("lines are held for the link first, then the relay, then the key", async () => {
  const conversation = new Conversation("Soldier_Alpha", "Soldier_Bravo");
  conversation.linkRed = true;
  assertEquals(conversation.heldReason, "link_red");
  conversation.linkRed = false;
  assertEquals(conversation.heldReason, "relay_down");
  conversation.connected = true;
  assertEquals(conversation.heldReason, "no_e2e_key");
  assertEquals(conversation.canSend, false);
  const { conversation: ready } = await connectedPair();
  assertEquals(ready.heldReason, undefined);
  assertEquals(ready.canSend, true);
});

Deno.test("switching peer gives a new channel without keys", async () => {
  const { conversation } = await connectedPair();
  const before = conversation.channel;
  assertEquals(conversation.peerOnline, true);
  conversation.switchTo("Soldier_Charlie");
  assertEquals(conversation.peer, "Soldier_Charlie");
  assertEquals(conversation.channel.peerId, "Soldier_Charlie");
  assertNotStrictEquals(conversation.channel, before);
  assertEquals(conversation.peerOnline, false);
  assertEquals(conversation.heldReason, "no_e2e_key");
});
