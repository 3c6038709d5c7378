import { assertEquals, assertRejects } from "@std/assert";
import { freePort } from "../common/service_process.ts";
import { KmsError } from "./kms_http.ts";
import { httpRoomKms } from "./kms_rooms.ts";
import { startFakeRoomKms } from "./_test_room_kms.ts";

Deno.test("join creates and joins, leave says who is not in, list reads", async () => {
  await using kms = startFakeRoomKms();
  const alpha = httpRoomKms(kms.url, { deviceId: "Soldier_Alpha" });
  const bravo = httpRoomKms(kms.url, { deviceId: "Soldier_Bravo" });
  const charlie = httpRoomKms(kms.url, { deviceId: "Soldier_Charlie" });
  const noCapacity = await alpha.join("squad1");
  assertEquals(noCapacity.ok, false);
  assertEquals(!noCapacity.ok && noCapacity.reason, "bad_request");
  const created = await alpha.join("squad1", 2);
  assertEquals(created.ok && created.room.leader, "Soldier_Alpha");
  assertEquals(created.ok && created.room.epoch, 1);
  const joined = await bravo.join("squad1");
  assertEquals(joined.ok && joined.room.members, [
    "Soldier_Alpha",
    "Soldier_Bravo",
  ]);
  assertEquals(joined.ok && joined.room.ready, true);
  const full = await charlie.join("squad1");
  assertEquals(full, {
    ok: false,
    reason: "conflict",
    message: "room squad1 is full: 2 of 2 members",
  });
  const notIn = await charlie.leave("squad1");
  assertEquals(notIn, {
    ok: false,
    reason: "not_found",
    message: "Soldier_Charlie is not a member of room squad1",
  });
  assertEquals((await alpha.list()).map((room) => room.epoch), [2]);
  const left = await bravo.leave("squad1");
  assertEquals(left.ok && left.room.epoch, 3);
  assertEquals(left.ok && left.terminated, false);
});

Deno.test("the room key unwraps to the same key for every member; RED and stale epochs refuse", async () => {
  await using kms = startFakeRoomKms();
  const alpha = httpRoomKms(kms.url, { deviceId: "Soldier_Alpha" });
  const bravo = httpRoomKms(kms.url, { deviceId: "Soldier_Bravo" });
  await alpha.join("squad1", 4);
  const joined = await bravo.join("squad1");
  const epoch = joined.ok ? joined.room.epoch : -1;
  const a = await alpha.roomKey("squad1", epoch);
  const b = await bravo.roomKey("squad1", epoch);
  if (!a.ok || !b.ok) throw new Error("no room key");
  assertEquals(a.key.key, b.key.key);
  assertEquals(a.key.key, kms.keys.get(a.key.keyId));
  assertEquals([a.key.room, a.key.epoch, a.key.status], [
    "squad1",
    epoch,
    "GREEN",
  ]);
  const stale = await alpha.roomKey("squad1", epoch - 1);
  assertEquals(!stale.ok && stale.reason === "conflict" && stale.epoch, epoch);
  const stranger = await httpRoomKms(kms.url, { deviceId: "Soldier_Delta" })
    .roomKey("squad1", epoch);
  assertEquals(!stranger.ok && stranger.reason, "forbidden");
  kms.red = true;
  const red = await alpha.roomKey("squad1", epoch);
  assertEquals(
    !red.ok && red.reason === "refused" && [red.status, red.qber],
    ["RED", 0.25],
  );
});

Deno.test("an unreachable KMS or a room state that is not one is a KmsError", async () => {
  const gone = httpRoomKms(`http://127.0.0.1:${freePort()}`, {
    deviceId: "Soldier_Alpha",
  });
  await assertRejects(() => gone.join("squad1", 4), KmsError);
  await using kms = startFakeRoomKms();
  const alpha = httpRoomKms(kms.url, { deviceId: "Soldier_Alpha" });
  await alpha.join("squad1", 4);
  kms.rooms.set("squad1", { ...kms.rooms.get("squad1")!, leader: "*" });
  await assertRejects(() => alpha.list(), KmsError, "not a room's state");
});
