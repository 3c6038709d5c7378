import { assertEquals } from "@std/assert";
import { OnlineDevices } from "./presence.ts";
import { fakeConnection, setupHub } from "./_test_hub.ts";

Deno.test("Hub sends presence on tick, once per change, and later to a peer that was full", () => {
  const { hub, connect, advance } = setupHub({ maxBufferedBytes: 10 });
  const alpha = connect("Alpha");
  advance(25);
  assertEquals(
    alpha.take(),
    [],
    "Alpha's registered frame already listed Alpha",
  );
  const bravo = connect("Bravo");
  const charlie = connect("Charlie");
  alpha.bufferedAmount = 10;
  advance(25);
  assertEquals(alpha.take(), []);
  assertEquals(bravo.take(), [{
    type: "presence",
    online: ["Alpha", "Bravo", "Charlie"],
  }]);
  assertEquals(charlie.take(), []);
  hub.disconnect(charlie, 1000);
  advance(25);
  assertEquals(bravo.take(), [{
    type: "presence",
    online: ["Alpha", "Bravo"],
  }]);
  alpha.bufferedAmount = 0;
  advance(25);
  // Only the newest list, not every one it missed.
  assertEquals(alpha.take(), [{
    type: "presence",
    online: ["Alpha", "Bravo"],
  }]);
  advance(25);
  assertEquals([...alpha.take(), ...bravo.take()], []);
});

Deno.test("OnlineDevices keeps a taken-over id for the new connection when the old one goes", () => {
  const devices = new OnlineDevices();
  const old = fakeConnection(1);
  const replacement = fakeConnection(2);
  devices.add("Bravo", old.conn);
  devices.add("Alpha", fakeConnection(3).conn);
  assertEquals(devices.online(), ["Alpha", "Bravo"]);
  devices.add("Bravo", replacement.conn);
  devices.remove(old.conn);
  assertEquals(devices.get("Bravo"), replacement.conn);
  assertEquals(devices.size, 2);
  devices.remove(replacement.conn);
  assertEquals(devices.online(), ["Alpha"]);
});

Deno.test("OnlineDevices sends each list once and keeps it pending for a full socket", () => {
  const devices = new OnlineDevices();
  const alpha = fakeConnection(1);
  const bravo = fakeConnection(2);
  devices.add("Alpha", alpha.conn);
  devices.add("Bravo", bravo.conn);
  assertEquals(devices.presencePending, true);
  bravo.peer.bufferedAmount = 10;
  devices.sendPresence(10);
  const frame = { type: "presence", online: ["Alpha", "Bravo"] };
  assertEquals(alpha.peer.take(), [frame]);
  assertEquals(bravo.peer.take(), []);
  assertEquals(devices.presencePending, true);
  bravo.peer.bufferedAmount = 0;
  devices.sendPresence(10);
  assertEquals(alpha.peer.take(), []);
  assertEquals(bravo.peer.take(), [frame]);
  assertEquals(devices.presencePending, false);
});

Deno.test("a connection that watches hears only of itself and the devices it watches; others keep the whole list", () => {
  const { hub, connect, advance } = setupHub();
  const legacy = connect("Legacy");
  const watcher = connect();
  hub.receive(
    watcher,
    JSON.stringify({
      type: "register",
      device_id: "Watcher",
      watch: ["Bravo", "Charlie"],
    }),
  );
  const [registered] = watcher.take();
  assertEquals(registered.online, ["Watcher"]);
  advance(25);
  assertEquals(watcher.take(), []);
  assertEquals(legacy.take(), [{
    type: "presence",
    online: ["Legacy", "Watcher"],
  }]);
  const bravo = connect("Bravo");
  const delta = connect("Delta");
  advance(25);
  assertEquals(watcher.take(), [{
    type: "presence",
    online: ["Bravo", "Watcher"],
  }]);
  assertEquals(legacy.take(), [{
    type: "presence",
    online: ["Bravo", "Delta", "Legacy", "Watcher"],
  }]);
  // Delta is not watched: its going is nothing to the watcher.
  hub.disconnect(delta, 1000);
  advance(25);
  assertEquals(watcher.take(), []);
  assertEquals(legacy.take().length, 1);
  hub.disconnect(bravo, 1000);
  advance(25);
  assertEquals(watcher.take(), [{ type: "presence", online: ["Watcher"] }]);
  // A watch frame replaces the list and brings the new one.
  hub.receive(watcher, '{"type":"watch","devices":["Legacy"]}');
  advance(25);
  assertEquals(watcher.take(), [{
    type: "presence",
    online: ["Legacy", "Watcher"],
  }]);
  hub.receive(watcher, '{"type":"watch","devices":"Legacy"}');
  assertEquals(watcher.take()[0].code, "bad_field");
});
