/**
 * Squad rooms on a real KMS process: membership, wrapped room keys, RED,
 * reset, concurrent joins, a restart, bad input. The contract in detail is
 * `room_routes_test.ts`'s (in process).
 */

import { assert, assertEquals, assertMatch } from "@std/assert";
import { DatabaseSync } from "node:sqlite";
import { PROJECT_ROOT } from "../common/service_process.ts";
import { readPublicKey, verifyMembership } from "../protocol/mod.ts";
import {
  enroll,
  removeDataDir,
  startKms,
  type TestKms,
  waitForPool,
} from "./_test_kms.ts";
import { askRoomKey, fetchRoomKey } from "./_test_room.ts";

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function auditText(dataDir: string): string {
  const db = new DatabaseSync(`${PROJECT_ROOT}${dataDir}/kms.db`);
  try {
    return db.prepare("SELECT tag, message FROM audit_log ORDER BY id").all()
      .map((r) => `[${r.tag}] ${r.message}`).join("\n");
  } finally {
    db.close();
  }
}

async function roomsOf(
  kms: TestKms,
  headers: Record<string, string> = {},
): Promise<Record<string, unknown>[]> {
  const answer = await kms.get("/rooms", headers);
  assertEquals(answer.status, 200, answer.text);
  return answer.body.rooms as Record<string, unknown>[];
}

Deno.test("a squad room on a secure KMS: join, full, one key for all, RED destroys, reset and restart re-key", async () => {
  let kms = await startKms({ poolBits: 4 * 256 });
  const { dataDir } = kms;
  try {
    const as = {
      A: bearer(await enroll(dataDir, "Soldier_Alpha")),
      B: bearer(await enroll(dataDir, "Soldier_Bravo")),
      C: bearer(await enroll(dataDir, "Soldier_Charlie")),
    };
    const operator = bearer(
      await enroll(dataDir, "Operator", { args: ["--role", "operator"] }),
    );
    const created = await kms.post("/rooms/join", {
      device_id: "Soldier_Alpha",
      room: "squad1",
      expected: 2,
    }, as.A);
    assertEquals([created.status, created.body.leader], [200, "Soldier_Alpha"]);
    const joined = await kms.post("/rooms/join", {
      device_id: "Soldier_Bravo",
      room: "squad1",
    }, as.B);
    assertEquals([joined.body.epoch, joined.body.ready], [2, true]);
    const full = await kms.post("/rooms/join", {
      device_id: "Soldier_Charlie",
      room: "squad1",
    }, as.C);
    assertEquals([full.status, full.body.message], [
      409,
      "room squad1 is full: 2 of 2 members",
    ]);
    const ticketKey = readPublicKey(
      await Deno.readTextFile(`${PROJECT_ROOT}${dataDir}/ticket_key.pub`),
    );
    if (!ticketKey.ok) throw new Error("no ticket key");
    const membership = await verifyMembership(joined.body.membership, {
      kmsKey: ticketKey.key,
      now: Date.now() / 1000,
    });
    assertEquals(membership.ok && membership.membership.members, [
      "Soldier_Alpha",
      "Soldier_Bravo",
    ]);
    const a = await fetchRoomKey(kms, {
      device: "Soldier_Alpha",
      room: "squad1",
      epoch: 2,
      headers: as.A,
    });
    const b = await fetchRoomKey(kms, {
      device: "Soldier_Bravo",
      room: "squad1",
      epoch: 2,
      headers: as.B,
    });
    assertEquals([a.key.length, a.keyId], [32, b.keyId]);
    assertEquals(a.key, b.key, "the same 32 bytes for both members");

    const attack = await kms.post("/force_attack", {}, operator);
    assertEquals(attack.body.status, "RED");
    const red = await askRoomKey(kms, {
      device: "Soldier_Bravo",
      room: "squad1",
      epoch: 2,
      headers: as.B,
    });
    assertEquals([red.status, Object.keys(red.body)], [200, [
      "error",
      "qber",
      "status",
    ]]);
    assertEquals(red.body.status, "RED");
    assertMatch(
      auditText(dataDir),
      /\[KEY_DESTROYED\] room=squad1 epoch=2 reason=link_red/,
    );

    assertEquals((await kms.post("/reset", {}, operator)).status, 200);
    assertEquals((await roomsOf(kms, as.A))[0].epoch, 3, "reset re-keys");
    await waitForPool(kms, { bits: 256 });
    const afterReset = await fetchRoomKey(kms, {
      device: "Soldier_Alpha",
      room: "squad1",
      epoch: 3,
      headers: as.A,
    });
    assertMatch(afterReset.keyId, /^squad1\/3\//);

    await kms.stop();
    kms = await startKms({ dataDir });
    const restarted = await roomsOf(kms, as.B);
    assertEquals(
      [restarted[0].epoch, restarted[0].members],
      [4, ["Soldier_Alpha", "Soldier_Bravo"]],
      "rooms survive a restart, at their next epoch",
    );
    const stale = await askRoomKey(kms, {
      device: "Soldier_Alpha",
      room: "squad1",
      epoch: 3,
      headers: as.A,
    });
    assertEquals([stale.status, stale.body.epoch], [409, 4]);

    const left = await kms.post("/rooms/leave", {
      device_id: "Soldier_Alpha",
      room: "squad1",
    }, as.A);
    assertEquals([left.body.epoch, left.body.terminated], [5, false]);
    const notIn = await kms.post("/rooms/leave", {
      device_id: "Soldier_Charlie",
      room: "squad1",
    }, as.C);
    assertEquals(notIn.status, 404);
    const last = await kms.post("/rooms/leave", {
      device_id: "Soldier_Bravo",
      room: "squad1",
    }, as.B);
    assertEquals(last.body.terminated, true);
    assertEquals(await roomsOf(kms, operator), []);

    const audit = auditText(dataDir);
    for (
      const row of [
        "[ROOM_CREATED] room=squad1 leader=Soldier_Alpha expected=2",
        "[USER_JOIN] room=squad1 device=Soldier_Bravo members=2/2",
        "[ROOM_READY] room=squad1 members=2",
        "[ROOMKEY_GENERATED] room=squad1 epoch=2",
        "[ROOMKEY_ENCRYPTED] room=squad1 epoch=2 to=Soldier_Bravo",
        "[USER_LEAVE] room=squad1 device=Soldier_Alpha",
        "[ROOM_TERMINATED] room=squad1",
      ]
    ) assert(audit.includes(row), row);
    await kms.stop();
    for (const key of [a.key, afterReset.key]) {
      for (const text of [audit, kms.process.output]) {
        assert(!text.includes(key.toHex()), "no room key in hex");
        assert(!text.includes(key.toBase64()), "nor in base64");
      }
    }
    assert(!audit.includes(a.keyId), "no key id in the audit");
  } finally {
    await kms.stop();
    await removeDataDir(dataDir);
  }
});

Deno.test("concurrent joins are serialised: every member ends in the same, highest epoch", async () => {
  const kms = await startKms({ open: true });
  try {
    await kms.post("/rooms/join", { device_id: "L", room: "r", expected: 16 });
    const names = Array.from({ length: 12 }, (_, i) => `M${i}`);
    const answers = await Promise.all(
      names.map((device) =>
        kms.post("/rooms/join", { device_id: device, room: "r" })
      ),
    );
    assert(answers.every((a) => a.status === 200));
    const epochs = answers.map((a) => a.body.epoch as number);
    assertEquals(new Set(epochs).size, names.length, "one epoch per join");
    const [room] = await roomsOf(kms);
    assertEquals(room.epoch, Math.max(...epochs));
    assertEquals(room.epoch, names.length + 1);
    assertEquals(room.members, ["L", ...names].sort());
    // Each join's state holds every member that joined before it.
    for (const answer of answers) {
      assertEquals((answer.body.members as string[]).length, answer.body.epoch);
    }
    // Every member asking at once: one key of the epoch, the same for all.
    const keys = await Promise.all(
      (room.members as string[]).map((device) =>
        fetchRoomKey(kms, { device, room: "r", epoch: room.epoch as number })
      ),
    );
    assertEquals(new Set(keys.map((k) => k.keyId)).size, 1);
    assertEquals(new Set(keys.map((k) => k.key.toHex())).size, 1);
  } finally {
    await kms.stop();
    await removeDataDir(kms.dataDir);
  }
});

Deno.test("bad room input gets clear 4xx JSON and the process stays up", async () => {
  const kms = await startKms({ open: true, poolBits: 0 });
  try {
    await kms.post("/rooms/join", { device_id: "A", room: "r", expected: 2 });
    await kms.post("/rooms/join", { device_id: "B", room: "r" });
    const cases: [string, unknown, number, RegExp][] = [
      [
        "/rooms/join",
        { device_id: "A", room: "x".repeat(40), expected: 2 },
        400,
        /at most 32/,
      ],
      [
        "/rooms/join",
        { device_id: "A", room: "a\nb", expected: 2 },
        400,
        /control character/,
      ],
      [
        "/rooms/join",
        { device_id: "A", room: "s", expected: 17 },
        400,
        /2 to 16/,
      ],
      [
        "/rooms/join",
        { device_id: "A", room: "s", expected: 1 },
        400,
        /2 to 16/,
      ],
      ["/rooms/join", { device_id: "A", room: ["r"] }, 400, /room name/],
      [
        "/rooms/join",
        { device_id: "C", room: "r" },
        409,
        /room r is full: 2 of 2 members/,
      ],
      ["/rooms/join", "{oops", 400, /JSON/],
      [
        "/rooms/leave",
        { device_id: "C", room: "r" },
        404,
        /C is not a member of room r/,
      ],
      ["/rooms/key", { device_id: "A", room: "r", epoch: "2" }, 400, /epoch/],
    ];
    for (const [path, body, status, message] of cases) {
      const answer = await kms.post(path, body);
      assertEquals(answer.status, status, `${path} ${JSON.stringify(body)}`);
      assertMatch(answer.body.message as string, message);
    }
    assertEquals((await kms.get("/rooms/join")).status, 405);
    assertEquals((await roomsOf(kms))[0].epoch, 2, "the room is intact");
  } finally {
    await kms.stop();
    await removeDataDir(kms.dataDir);
  }
});
