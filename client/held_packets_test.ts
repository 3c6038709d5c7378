import { assertEquals } from "@std/assert";
import type { ChatPacket } from "../protocol/mod.ts";
import { HeldPackets } from "./held_packets.ts";

function packet(id: string, keyId: string): ChatPacket {
  return {
    type: "chat",
    sender: "Soldier_Bravo",
    recipient: "Soldier_Alpha",
    nonce: "00".repeat(12),
    ciphertext: "00".repeat(16),
    timestamp: 0,
    id,
    key_id: keyId,
    seq: 0,
  };
}

Deno.test("held packets are released by key, bounded, and expire", () => {
  let now = 0;
  const held = new HeldPackets({ max: 3, holdMs: 100, now: () => now });
  held.hold(packet("a", "k-1+mlkem"));
  held.hold(packet("b", "k-2+mlkem"));
  held.hold(packet("c", "k-1+mlkem"));
  held.hold(packet("d", "k-1+mlkem"));
  assertEquals(held.release("k-1+mlkem").map((p) => p.id), ["c", "d"]);
  now = 50;
  held.hold(packet("e", "k-3+mlkem"));
  now = 101;
  assertEquals(held.expire(), 1, "b, held at 0");
  assertEquals(held.release("k-3+mlkem").map((p) => p.id), ["e"]);
  assertEquals(held.expire(), 0);
});
