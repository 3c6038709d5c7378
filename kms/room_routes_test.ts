import { assert, assertEquals, assertMatch } from "@std/assert";
import {
  KEM_PUBLIC_KEY_LENGTH,
  parseKmsEvent,
  verifyMembership,
} from "../protocol/mod.ts";
import { type MemoryKms, withMemoryKms } from "./_test_memory_kms.ts";
import { askRoomKey, fetchRoomKey } from "./_test_room.ts";

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Enrolled devices' tokens as headers, by name. */
function devices(
  kms: MemoryKms,
  names: string[],
): Record<string, Record<string, string>> {
  return Object.fromEntries(names.map((n) => [n, bearer(kms.enroll(n))]));
}

Deno.test("room API contract: create, join, ready, full, key for each member, leave, terminate", async () => {
  await withMemoryKms(async (kms) => {
    const as = devices(kms, ["Soldier_Alpha", "Soldier_Bravo", "Soldier_X"]);
    const created = await kms.post("/rooms/join", {
      device_id: "Soldier_Alpha",
      room: "squad1",
      expected: 2,
    }, as.Soldier_Alpha);
    assertEquals(created.status, 200);
    const { membership, ...state } = created.body;
    assertEquals(state, {
      room: "squad1",
      epoch: 1,
      leader: "Soldier_Alpha",
      expected: 2,
      members: ["Soldier_Alpha"],
      ready: false,
    });
    const checked = await verifyMembership(membership, {
      kmsKey: kms.kms.ticketKey.publicKey,
      now: Date.now() / 1000,
    });
    assertEquals(checked.ok && checked.membership.members, ["Soldier_Alpha"]);
    assertEquals(
      checked.ok && checked.membership.expires_at -
          checked.membership.issued_at,
      kms.kms.config.ticketLifetimeSeconds,
      "a membership lives as long as a relay ticket",
    );
    const joined = await kms.post("/rooms/join", {
      device_id: "Soldier_Bravo",
      room: "squad1",
    }, as.Soldier_Bravo);
    assertEquals([joined.body.epoch, joined.body.ready], [2, true]);
    const again = await kms.post("/rooms/join", {
      device_id: "Soldier_Bravo",
      room: "squad1",
    }, as.Soldier_Bravo);
    assertEquals(again.body.epoch, 2, "already a member: nothing changes");
    const full = await kms.post("/rooms/join", {
      device_id: "Soldier_X",
      room: "squad1",
    }, as.Soldier_X);
    assertEquals([full.status, full.body.message], [
      409,
      "room squad1 is full: 2 of 2 members",
    ]);
    const a = await fetchRoomKey(kms, {
      device: "Soldier_Alpha",
      room: "squad1",
      epoch: 2,
      headers: as.Soldier_Alpha,
    });
    const b = await fetchRoomKey(kms, {
      device: "Soldier_Bravo",
      room: "squad1",
      epoch: 2,
      headers: as.Soldier_Bravo,
    });
    assertEquals([a.key.length, a.keyId], [32, b.keyId]);
    assertEquals(a.key, b.key);
    assertMatch(a.keyId, /^squad1\/2\//);
    const stranger = await askRoomKey(kms, {
      device: "Soldier_X",
      room: "squad1",
      epoch: 2,
      headers: as.Soldier_X,
    });
    assertEquals([stranger.status, stranger.body.message], [
      403,
      "Soldier_X is not a member of room squad1",
    ]);
    const stale = await askRoomKey(kms, {
      device: "Soldier_Alpha",
      room: "squad1",
      epoch: 1,
      headers: as.Soldier_Alpha,
    });
    assertEquals([stale.status, stale.body.epoch], [409, 2]);
    const notIn = await kms.post("/rooms/leave", {
      device_id: "Soldier_X",
      room: "squad1",
    }, as.Soldier_X);
    assertEquals([notIn.status, notIn.body.message], [
      404,
      "Soldier_X is not a member of room squad1",
    ]);
    const left = await kms.post("/rooms/leave", {
      device_id: "Soldier_Alpha",
      room: "squad1",
    }, as.Soldier_Alpha);
    assertEquals(
      [
        left.body.epoch,
        left.body.members,
        left.body.leader,
        left.body.terminated,
      ],
      [3, ["Soldier_Bravo"], "Soldier_Bravo", false],
    );
    const departed = await askRoomKey(kms, {
      device: "Soldier_Alpha",
      room: "squad1",
      epoch: 3,
      headers: as.Soldier_Alpha,
    });
    assertEquals(departed.status, 403, "a departed member gets no key of e+1");
    const last = await kms.post("/rooms/leave", {
      device_id: "Soldier_Bravo",
      room: "squad1",
    }, as.Soldier_Bravo);
    assertEquals([last.body.terminated, last.body.members], [true, []]);
    const gone = await kms.post("/rooms/leave", {
      device_id: "Soldier_Bravo",
      room: "squad1",
    }, as.Soldier_Bravo);
    assertEquals([gone.status, gone.body.message], [404, "no room squad1"]);
    const audit = kms.log.map((l) => l.replace(/^\S+ /, ""));
    const rooms = audit.filter((l) =>
      /^\[(ROOM|USER|ROOMKEY|KEY_DESTROYED)/.test(l)
    );
    assertEquals(rooms, [
      "[ROOM_CREATED] room=squad1 leader=Soldier_Alpha expected=2",
      "[USER_JOIN] room=squad1 device=Soldier_Alpha members=1/2",
      "[USER_JOIN] room=squad1 device=Soldier_Bravo members=2/2",
      "[ROOM_READY] room=squad1 members=2",
      "[ROOMKEY_GENERATED] room=squad1 epoch=2",
      "[ROOMKEY_ENCRYPTED] room=squad1 epoch=2 to=Soldier_Alpha",
      "[ROOMKEY_ENCRYPTED] room=squad1 epoch=2 to=Soldier_Bravo",
      "[USER_LEAVE] room=squad1 device=Soldier_Alpha",
      "[KEY_DESTROYED] room=squad1 epoch=2 reason=leave",
      "[USER_LEAVE] room=squad1 device=Soldier_Bravo",
      "[ROOM_TERMINATED] room=squad1",
    ]);
    const text = kms.log.join("\n");
    assert(!text.includes(a.keyId), "no key id in the audit");
    assert(!text.includes(a.key.toHex()), "no key in the audit");
    assert(!text.includes(a.key.toBase64()), "not even as base64");
    assert(
      !a.text.includes(a.key.toHex()) && !a.text.includes(a.key.toBase64()),
    );
  });
});

Deno.test("GET /rooms: a device sees its own rooms, an operator every room", async () => {
  await withMemoryKms(async (kms) => {
    const as = devices(kms, ["A", "B"]);
    const operator = bearer(kms.enroll("Operator", { role: "operator" }));
    await kms.post(
      "/rooms/join",
      { device_id: "A", room: "ra", expected: 2 },
      as.A,
    );
    await kms.post(
      "/rooms/join",
      { device_id: "B", room: "rb", expected: 3 },
      as.B,
    );
    const names = (r: { body: Record<string, unknown> }) =>
      (r.body.rooms as { room: string }[]).map((s) => s.room);
    assertEquals(names(await kms.get("/rooms", as.A)), ["ra"]);
    assertEquals(names(await kms.get("/rooms?device_id=A", as.A)), ["ra"]);
    assertEquals((await kms.get("/rooms?device_id=B", as.A)).status, 403);
    assertEquals(names(await kms.get("/rooms", operator)), ["ra", "rb"]);
    assertEquals(names(await kms.get("/rooms?device_id=B", operator)), ["rb"]);
    assertEquals((await kms.get("/rooms")).status, 401);
    assertEquals((await kms.get("/rooms?device_id=a%20b", as.A)).status, 400);
    const byOperator = await kms.post("/rooms/join", {
      device_id: "Operator",
      room: "ra",
    }, operator);
    assertEquals(byOperator.status, 403, "rooms are for devices");
    const forOther = await kms.post("/rooms/join", {
      device_id: "B",
      room: "ra",
    }, as.A);
    assertEquals(forOther.status, 403, "a device joins only as itself");
  });
});

Deno.test("bad input: clear 400s, and the KMS answers the next request", async () => {
  await withMemoryKms(async (kms) => {
    const as = devices(kms, ["A"]);
    const join = (body: Record<string, unknown>) =>
      kms.post("/rooms/join", { device_id: "A", ...body }, as.A);
    const cases: [Record<string, unknown>, RegExp][] = [
      [
        { room: "x".repeat(33), expected: 2 },
        /room name is 33 characters; at most 32/,
      ],
      [{ room: "a\u0007b", expected: 2 }, /control character/],
      [{ room: "a b", expected: 2 }, /only letters, digits/],
      [{ expected: 2 }, /room name must be a non-empty string/],
      [{ room: 5, expected: 2 }, /room name must be a non-empty string/],
      [
        { room: "r", expected: 1 },
        /expected must be a whole number from 2 to 16/,
      ],
      [{ room: "r", expected: 17 }, /from 2 to 16/],
      [{ room: "r", expected: "4" }, /from 2 to 16/],
      [{ room: "r" }, /room r does not exist: creating it needs expected/],
    ];
    for (const [body, message] of cases) {
      const answer = await join(body);
      assertEquals(answer.status, 400, JSON.stringify(body));
      assertMatch(answer.body.message as string, message);
    }
    assertEquals((await kms.post("/rooms/join", "{x", as.A)).status, 400);
    const key = (body: Record<string, unknown>) =>
      kms.post("/rooms/key", { device_id: "A", room: "r", ...body }, as.A);
    assertMatch(
      (await key({
        kem_public_key: new Uint8Array(KEM_PUBLIC_KEY_LENGTH).toBase64(),
      })).body
        .message as string,
      /epoch is required/,
    );
    assertMatch(
      (await key({ epoch: 1 })).body.message as string,
      /kem_public_key is required/,
    );
    assertMatch(
      (await key({ epoch: -1 })).body.message as string,
      /epoch must be a whole number/,
    );
    assertEquals((await key({ epoch: 1, kem_public_key: "AAAA" })).status, 400);
    const noRoom = await key({
      epoch: 1,
      kem_public_key: new Uint8Array(KEM_PUBLIC_KEY_LENGTH).toBase64(),
    });
    assertEquals([noRoom.status, noRoom.body.message], [404, "no room r"]);
    assertEquals((await join({ room: "r", expected: 2 })).status, 200);
  });
});

Deno.test("RED: room keys refused with /get_session_key's body and destroyed; reset moves every room to its next epoch", async () => {
  await withMemoryKms(async (kms) => {
    const as = devices(kms, ["A", "B"]);
    const operator = bearer(kms.enroll("Operator", { role: "operator" }));
    await kms.post(
      "/rooms/join",
      { device_id: "A", room: "r", expected: 2 },
      as.A,
    );
    await kms.post("/rooms/join", { device_id: "B", room: "r" }, as.B);
    await fetchRoomKey(kms, {
      device: "A",
      room: "r",
      epoch: 2,
      headers: as.A,
    });
    await kms.post("/force_attack", {}, operator);
    assertEquals(kms.kms.roomKeys.size, 0);
    assert(
      kms.log.some((l) =>
        l.endsWith("[KEY_DESTROYED] room=r epoch=2 reason=link_red")
      ),
    );
    const red = await askRoomKey(kms, {
      device: "B",
      room: "r",
      epoch: 2,
      headers: as.B,
    });
    const pair = await kms.post("/get_session_key", {
      device_id: "B",
      peer_id: "A",
    }, as.B);
    assertEquals([red.status, red.body], [200, pair.body]);
    assertEquals(red.body.status, "RED");
    assertEquals((await kms.post("/reset", {}, operator)).status, 200);
    const rooms = (await kms.get("/rooms", as.A)).body.rooms as {
      epoch: number;
    }[];
    assertEquals(rooms.map((r) => r.epoch), [3]);
    await kms.source.emit();
    const fresh = await fetchRoomKey(kms, {
      device: "B",
      room: "r",
      epoch: 3,
      headers: as.B,
    });
    assertMatch(fresh.keyId, /^r\/3\//);
  });
});

Deno.test("--open: rooms as pairs, no token", async () => {
  await withMemoryKms(async (kms) => {
    const made = await kms.post("/rooms/join", {
      device_id: "A",
      room: "r",
      expected: 2,
    });
    assertEquals(made.status, 200);
    await kms.post("/rooms/join", { device_id: "B", room: "r" });
    const a = await fetchRoomKey(kms, { device: "A", room: "r", epoch: 2 });
    const b = await fetchRoomKey(kms, { device: "B", room: "r", epoch: 2 });
    assertEquals(a.key, b.key);
    assertEquals(((await kms.get("/rooms")).body.rooms as unknown[]).length, 1);
    assertEquals(
      ((await kms.get("/rooms?device_id=C")).body.rooms as unknown[]).length,
      0,
    );
  }, { args: ["--open"] });
});

Deno.test("every change is a room event on the feed: who is in it, never a membership or a key", async () => {
  await withMemoryKms(async (kms) => {
    const events = kms.kms.hub.subscribe(() => []);
    await kms.post("/rooms/join", { device_id: "A", room: "r", expected: 2 });
    await kms.post("/rooms/join", { device_id: "B", room: "r" });
    await kms.post("/rooms/join", { device_id: "B", room: "r" });
    await kms.post("/reset");
    await kms.post("/rooms/leave", { device_id: "A", room: "r" });
    await kms.post("/rooms/leave", { device_id: "B", room: "r" });
    kms.kms.hub.close();
    const rooms = (await events.text()).split("\n\n")
      .filter((e) => e.startsWith("event:room\n"))
      .map((e) => parseKmsEvent("room", e.split("\n")[1].slice(5))?.data);
    assertEquals(rooms, [
      {
        room: "r",
        epoch: 1,
        leader: "A",
        expected: 2,
        members: ["A"],
        ready: false,
        terminated: false,
      },
      {
        room: "r",
        epoch: 2,
        leader: "A",
        expected: 2,
        members: ["A", "B"],
        ready: true,
        terminated: false,
      },
      {
        room: "r",
        epoch: 3,
        leader: "A",
        expected: 2,
        members: ["A", "B"],
        ready: true,
        terminated: false,
      },
      {
        room: "r",
        epoch: 4,
        leader: "B",
        expected: 2,
        members: ["B"],
        ready: false,
        terminated: false,
      },
      {
        room: "r",
        epoch: 5,
        leader: "B",
        expected: 2,
        members: [],
        ready: false,
        terminated: true,
      },
    ]);
  }, { args: ["--open"] });
});
