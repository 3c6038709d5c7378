import { assertEquals } from "@std/assert";
import { MAX_ROOMS_PER_DEVICE, RoomRegistry } from "./room_registry.ts";
import { KmsStore } from "./store.ts";

function withRegistry(fn: (rooms: RoomRegistry) => void): void {
  const store = new KmsStore(":memory:");
  try {
    fn(new RoomRegistry(store));
  } finally {
    store.close();
  }
}

Deno.test("a room is created by its leader with a capacity, grows an epoch per join, refuses past capacity", () => {
  withRegistry((rooms) => {
    assertEquals(rooms.join({ device: "A", room: "r" }), {
      ok: false,
      reason: "capacity_required",
    });
    const created = rooms.join({ device: "A", room: "r", expected: 3 });
    assertEquals(created.ok && created.change, "created");
    assertEquals(created.ok && created.record.epoch, 1);
    const again = rooms.join({ device: "A", room: "r", expected: 9 });
    assertEquals(again.ok && [again.change, again.record.epoch], ["none", 1]);
    rooms.join({ device: "C", room: "r" });
    const b = rooms.join({ device: "B", room: "r" });
    assertEquals(b.ok && b.record, {
      room: "r",
      epoch: 3,
      leader: "A",
      expected: 3,
      members: ["A", "B", "C"],
    });
    const full = rooms.join({ device: "D", room: "r" });
    assertEquals(!full.ok && full.reason, "full");
    assertEquals(rooms.get("r")?.epoch, 3, "a refused join changes nothing");
  });
});

Deno.test("leaving moves the epoch on, hands the lead to the oldest member, and the last one terminates the room", () => {
  withRegistry((rooms) => {
    rooms.join({ device: "A", room: "r", expected: 3 });
    rooms.join({ device: "C", room: "r" });
    rooms.join({ device: "B", room: "r" });
    assertEquals(rooms.leave({ device: "X", room: "r" }), {
      ok: false,
      reason: "not_member",
    });
    assertEquals(rooms.leave({ device: "A", room: "nope" }), {
      ok: false,
      reason: "no_room",
    });
    const a = rooms.leave({ device: "A", room: "r" });
    assertEquals(a.ok && a.record, {
      room: "r",
      epoch: 4,
      leader: "C",
      expected: 3,
      members: ["B", "C"],
    });
    rooms.leave({ device: "C", room: "r" });
    const last = rooms.leave({ device: "B", room: "r" });
    assertEquals(last.ok && [last.terminated, last.record.members], [
      true,
      [],
    ]);
    assertEquals(rooms.get("r"), undefined);
    assertEquals(rooms.list(), []);
    // Made again, the room goes on from its last epoch: no epoch comes back.
    const again = rooms.join({ device: "D", room: "r", expected: 2 });
    assertEquals(again.ok && [again.record.epoch, again.record.leader], [
      7,
      "D",
    ]);
  });
});

Deno.test("list, bumpAll and the per-device room cap", () => {
  withRegistry((rooms) => {
    rooms.join({ device: "A", room: "b", expected: 2 });
    rooms.join({ device: "A", room: "a", expected: 2 });
    rooms.join({ device: "B", room: "b" });
    assertEquals(rooms.list().map((r) => r.room), ["a", "b"]);
    assertEquals(rooms.list("B").map((r) => r.room), ["b"]);
    assertEquals(rooms.list("Z"), []);
    assertEquals(rooms.bumpAll().map((r) => [r.room, r.epoch]), [
      ["a", 2],
      ["b", 3],
    ]);
    for (let i = 2; i < MAX_ROOMS_PER_DEVICE; i++) {
      rooms.join({ device: "A", room: `x${i}`, expected: 2 });
    }
    assertEquals(rooms.list("A").length, MAX_ROOMS_PER_DEVICE);
    assertEquals(rooms.join({ device: "A", room: "y", expected: 2 }), {
      ok: false,
      reason: "too_many_rooms",
    });
    const member = rooms.join({ device: "A", room: "a" });
    assertEquals(member.ok && member.change, "none", "a member still rejoins");
  });
});
