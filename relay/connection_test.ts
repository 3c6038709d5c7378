import { assertEquals } from "@std/assert";
import { Connection } from "./connection.ts";
import { FakePeer } from "./_test_hub.ts";

Deno.test("Connection is named by origin until it registers, then by device", () => {
  const conn = new Connection(new FakePeer(), {
    number: 3,
    label: "10.0.0.2:4000",
    rateLimit: 5,
    now: 0,
    nonce: "n",
  });
  assertEquals(conn.name, "#3 (10.0.0.2:4000)");
  conn.deviceId = "Soldier_Bravo";
  assertEquals(conn.name, "Soldier_Bravo (#3)");
});

Deno.test("Connection can send while open and below the buffer bound", () => {
  const peer = new FakePeer();
  const conn = new Connection(peer, {
    number: 1,
    label: "a",
    rateLimit: 5,
    now: 0,
    nonce: "n",
  });
  assertEquals(conn.canSend(10), true);
  peer.bufferedAmount = 10;
  assertEquals(conn.canSend(10), false);
  peer.bufferedAmount = 0;
  peer.close();
  assertEquals(conn.open, false);
  assertEquals(conn.canSend(10), false);
});
