import { assertEquals } from "@std/assert";
import type { RoomMembership } from "../protocol/mod.ts";
import { RoomRegistry } from "./rooms.ts";

function at(
  epoch: number,
  members: string[],
  options: { room?: string; expiresAt?: number } = {},
): RoomMembership {
  return {
    v: 1,
    room: options.room ?? "squad1",
    epoch,
    leader: "a",
    expected: 4,
    members,
    issued_at: 0,
    expires_at: options.expiresAt ?? 3600,
  };
}

Deno.test("the registry keeps the highest epoch, and the later expiry of the same epoch", () => {
  const rooms = new RoomRegistry();
  assertEquals(rooms.offer(at(3, ["a", "b"]), "m3").kind, "stored");
  assertEquals(rooms.offer(at(2, ["a", "b", "c"]), "m2").kind, "older");
  assertEquals(
    rooms.offer(at(3, ["a", "b"], { expiresAt: 100 }), "x").kind,
    "same",
  );
  assertEquals(rooms.get("squad1")?.text, "m3");
  assertEquals(
    rooms.offer(at(3, ["a", "b"], { expiresAt: 7200 }), "m3'").kind,
    "same",
  );
  assertEquals(rooms.get("squad1")?.text, "m3'");
  assertEquals(rooms.offer(at(4, ["b"]), "m4").kind, "stored");
  assertEquals(rooms.get("squad1")?.membership.members, ["b"]);
});

Deno.test("members' rooms are marked for presence, and forgotten with the member or the room", () => {
  const rooms = new RoomRegistry();
  rooms.offer(at(1, ["a", "b"]), "s1");
  rooms.offer(at(1, ["a"], { room: "squad2" }), "s2");
  rooms.memberChanged("a");
  assertEquals(rooms.takePending().map((room) => room.name), [
    "squad1",
    "squad2",
  ]);
  assertEquals(rooms.takePending(), []);
  rooms.offer(at(2, ["b"]), "s1'");
  rooms.memberChanged("a");
  assertEquals(rooms.takePending().map((room) => room.name), ["squad2"]);
  rooms.memberChanged("b");
  assertEquals(rooms.offer(at(3, []), "s1''").kind, "terminated");
  assertEquals(rooms.takePending(), []);
  assertEquals(rooms.size, 1);
});

Deno.test("rooms past their membership's expiry (and the clock skew) are forgotten; the registry is bounded", () => {
  const rooms = new RoomRegistry({ maxRooms: 2 });
  rooms.offer(at(1, ["a"], { expiresAt: 100 }), "s1");
  rooms.offer(at(1, ["a"], { room: "squad2", expiresAt: 1000 }), "s2");
  assertEquals(
    rooms.offer(at(1, ["a"], { room: "squad3" }), "s3").kind,
    "full",
  );
  assertEquals(rooms.expire(160), 0);
  assertEquals(rooms.expire(161), 1);
  assertEquals(rooms.get("squad1"), undefined);
  rooms.memberChanged("a");
  assertEquals(rooms.takePending().map((room) => room.name), ["squad2"]);
  assertEquals(
    rooms.offer(at(1, ["a"], { room: "squad3" }), "s3").kind,
    "stored",
  );
});
