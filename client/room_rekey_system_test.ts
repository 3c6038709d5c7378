import { assert, assertEquals } from "@std/assert";
import {
  openHello,
  parseRoomFrame,
  type RoomChatFrame,
} from "../protocol/mod.ts";
import {
  linesMatching,
  startStack,
  stopClients,
  type TestClientProcess,
  uniqueDevice,
  WAIT_MS,
} from "./_test_client.ts";
import { startCaptureProxy } from "./_test_capture_proxy.ts";
import { fetchTicketKey } from "./kms_tickets.ts";
import {
  roomKeyLine,
  roomKmsAs,
  roomLine,
  startMember,
  startRoom,
  waitForEpoch,
} from "./_test_room.ts";

const ROOM = "squad1";

/** Room frames of `epoch` that crossed the capture, each once. */
function roomFrames(frames: string[], epoch: number): RoomChatFrame[] {
  const seen = new Map<string, RoomChatFrame>();
  for (const text of frames) {
    const read = parseRoomFrame(JSON.parse(text));
    if (read.ok && read.frame.epoch === epoch) {
      seen.set(read.frame.id, read.frame);
    }
  }
  return [...seen.values()];
}

Deno.test("a member leaves: the others re-key to a new epoch; what the departed member held opens nothing of it", async () => {
  const names = ["Alpha", "Bravo", "Charlie"].map(uniqueDevice);
  const [alphaId, , charlieId] = names;
  await using stack = await startStack({ devices: names });
  await using capture = startCaptureProxy(stack.relay.port);
  const members: TestClientProcess[] = [];
  try {
    members.push(
      ...await startRoom(stack, names, {
        room: ROOM,
        capacity: 3,
        relayUrl: `ws://${capture.address}`,
      }),
    );
    const [alpha, bravo, charlie] = members;
    await waitForEpoch(members, ROOM, 3);
    await alpha.process.type("before Charlie left");
    await charlie.process.waitForLine(
      roomLine(ROOM, alphaId, "before Charlie left"),
      WAIT_MS,
    );
    // What Charlie holds of epoch 3: the room key, as the KMS gave it.
    const asCharlie = await roomKmsAs(stack, charlieId);
    const held = await asCharlie.roomKey(ROOM, 3);
    if (!held.ok) throw new Error(`no room key: ${held.message}`);
    await charlie.process.type("/leave");
    await charlie.process.waitForLine(/✓ Left room squad1\./, WAIT_MS);
    await Promise.all([alpha, bravo].map((member) =>
      member.process.waitForLine(
        new RegExp(`↻ Room squad1 is at epoch 4 \\(${charlieId} left\\)`),
        WAIT_MS,
      )
    ));
    await waitForEpoch([alpha, bravo], ROOM, 4);
    await alpha.process.type("after Charlie left");
    await bravo.process.waitForLine(
      roomLine(ROOM, alphaId, "after Charlie left"),
      WAIT_MS,
    );
    await alpha.process.waitForLine(
      /✓✓ \[squad1\] all 1 confirmed: "after Charlie left"/,
      WAIT_MS,
    );
    // Charlie's client shows nothing of epoch 4; the KMS refuses it the key.
    assertEquals(
      linesMatching(
        charlie.process,
        roomLine(ROOM, alphaId, "after Charlie left"),
      ),
      [],
    );
    const refused = await asCharlie.roomKey(ROOM, 4);
    assertEquals(!refused.ok && refused.reason, "forbidden");
    // Its epoch-3 room key opens the hellos of epoch 3 (so the check below
    // can open what it may) and none of epoch 4; no sender key of epoch 4
    // was sealed to Charlie.
    const ticketKey = await fetchTicketKey(stack.kms.url);
    if (!ticketKey.ok) throw new Error("the KMS issues no tickets");
    const kmsKey = ticketKey.publicKey;
    const open = (frame: RoomChatFrame) =>
      openHello(frame, {
        roomKey: held.key.key,
        kmsKey,
        now: Date.now() / 1000,
      });
    const before = roomFrames(capture.frames(), 3);
    const after = roomFrames(capture.frames(), 4);
    const hellosBefore = before.filter((frame) => frame.kind === "hello");
    const hellosAfter = after.filter((frame) => frame.kind === "hello");
    assert(hellosBefore.length > 0 && hellosAfter.length > 0);
    for (const frame of hellosBefore) assert((await open(frame)).ok);
    for (const frame of hellosAfter) {
      assertEquals((await open(frame)).ok, false, "an epoch-4 hello opened");
    }
    const keysAfter = after.filter((frame) => frame.kind === "key");
    assert(keysAfter.length > 0);
    assertEquals(keysAfter.filter((frame) => frame.to === charlieId), []);
  } finally {
    await stopClients(...members);
  }
});

Deno.test("two members join at the same moment: everyone ends in the same epoch; bad room input gets clear words", async () => {
  const names = ["Alpha", "Bravo", "Charlie", "Delta"].map(uniqueDevice);
  const [alphaId, bravoId, charlieId, deltaId] = names;
  await using stack = await startStack({ devices: names });
  const members: TestClientProcess[] = [];
  try {
    const creator = await startMember(stack, {
      device: alphaId,
      peer: bravoId,
      room: `${ROOM}:3`,
    });
    members.push(creator);
    await creator.process.waitForLine(roomKeyLine(ROOM, 1), WAIT_MS);
    // Bravo and Charlie ask the KMS at once; it serialises them (2, 3).
    members.push(
      ...await Promise.all(
        [bravoId, charlieId].map((device) =>
          startMember(stack, { device, peer: alphaId, room: ROOM })
        ),
      ),
    );
    await waitForEpoch(members, ROOM, 3);
    for (const member of members) {
      await member.process.type("/rooms");
      await member.process.waitForLine(
        /^\[\w+\] \* squad1: epoch 3, 3 of 3 members/,
        WAIT_MS,
      );
    }
    // /who, and /to between the room and a direct peer.
    const alpha = members[0];
    await alpha.process.type("/who");
    await alpha.process.waitForLine(
      new RegExp(`^\\[Alpha\\] {3}${charlieId} online$`),
      WAIT_MS,
    );
    await alpha.process.type(`/to ${bravoId}`);
    await alpha.process.waitForLine(
      new RegExp(`↔ Now talking to ${bravoId} \\(online\\)$`),
      WAIT_MS,
    );
    await alpha.process.type(`/to ${ROOM}`);
    await alpha.process.waitForLine(
      /↔ Now talking in room squad1 \(3 members, 3 online\)$/,
      WAIT_MS,
    );
    await members[1].process.type("all at epoch 3");
    for (const member of [members[0], members[2]]) {
      await member.process.waitForLine(
        roomLine(ROOM, bravoId, "all at epoch 3"),
        WAIT_MS,
      );
    }
    // Delta: a full room, a room it is not in, bad names.
    const delta = await startMember(stack, {
      device: deltaId,
      peer: alphaId,
      room: ROOM,
    });
    members.push(delta);
    await delta.process.waitForLine(
      /✗ Cannot join room squad1: room squad1 is full: 3 of 3 members$/,
      WAIT_MS,
    );
    await delta.process.type("/leave squad1");
    await delta.process.waitForLine(
      new RegExp(`⚠ ${deltaId} is not a member of room squad1$`),
      WAIT_MS,
    );
    await delta.process.type(`/join ${"x".repeat(33)} 4`);
    await delta.process.waitForLine(
      /⚠ room name is 33 characters; at most 32$/,
      WAIT_MS,
    );
    await delta.process.type("/join bad\u0001name 4");
    await delta.process.waitForLine(
      /⚠ room name has a control character; use letters, digits, _ \. -$/,
      WAIT_MS,
    );
    await delta.process.type("/join other 99");
    await delta.process.waitForLine(
      /⚠ room capacity must be a whole number from 2 to 16$/,
      WAIT_MS,
    );
    await delta.process.type("/who");
    await delta.process.waitForLine(
      /⚠ You are talking to a peer, not in a room: \/who ROOM$/,
      WAIT_MS,
    );
  } finally {
    await stopClients(...members);
  }
});

Deno.test("an attack during room chat: RED suspends the room, reset re-keys it to a new epoch and the held line arrives once", async () => {
  const names = ["Alpha", "Bravo", "Charlie"].map(uniqueDevice);
  const [alphaId] = names;
  await using stack = await startStack({ devices: names });
  await stack.enroll("Operator", { role: "operator" });
  const operator = { authorization: `Bearer ${await stack.token("Operator")}` };
  const RED = /⚠ QUANTUM LINK RED \(QBER=\d+\.\d%\) — possible eavesdropper!/;
  const members: TestClientProcess[] = [];
  try {
    members.push(...await startRoom(stack, names, { room: ROOM, capacity: 3 }));
    await waitForEpoch(members, ROOM, 3);
    const [alpha, bravo, charlie] = members;
    assertEquals(
      (await stack.kms.post("/force_attack", {}, operator)).body.status,
      "RED",
    );
    await Promise.all(
      members.map((member) => member.process.waitForLine(RED, WAIT_MS)),
    );
    await alpha.process.type("held in the room");
    await alpha.process.waitForLine(
      /… kept for room squad1 \(link RED\): "held in the room"$/,
      WAIT_MS,
    );
    // /status names who has not confirmed it.
    await alpha.process.type("/status");
    const waiting = await alpha.process.waitForLine(
      /^\[\w+\] +"held in the room" — not confirmed by /,
      WAIT_MS,
    );
    assertEquals(
      waiting.slice(waiting.indexOf("by ") + 3).split(", ").sort(),
      names.slice(1).sort(),
    );
    // Long enough for a line to cross the relay if it were sent.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    for (const member of [bravo, charlie]) {
      assertEquals(
        linesMatching(
          member.process,
          roomLine(ROOM, alphaId, "held in the room"),
        ),
        [],
      );
    }
    assertEquals((await stack.kms.post("/reset", {}, operator)).status, 200);
    // The reset moved the room on: every member re-keys to epoch 4.
    await waitForEpoch(members, ROOM, 4);
    for (const member of [bravo, charlie]) {
      await member.process.waitForLine(
        roomLine(ROOM, alphaId, "held in the room"),
        WAIT_MS,
      );
    }
    await alpha.process.waitForLine(
      /✓✓ \[squad1\] all 2 confirmed: "held in the room"/,
      WAIT_MS,
    );
    for (const member of [bravo, charlie]) {
      assertEquals(
        linesMatching(
          member.process,
          roomLine(ROOM, alphaId, "held in the room"),
        )
          .length,
        1,
      );
    }
  } finally {
    await stopClients(...members);
  }
});

Deno.test("the relay killed and restarted during room chat: lines typed meanwhile arrive once", async () => {
  const names = ["Alpha", "Bravo", "Charlie"].map(uniqueDevice);
  const [alphaId, bravoId] = names;
  await using stack = await startStack({ devices: names });
  const members: TestClientProcess[] = [];
  try {
    members.push(...await startRoom(stack, names, { room: ROOM, capacity: 3 }));
    await waitForEpoch(members, ROOM, 3);
    const [alpha, bravo, charlie] = members;
    await alpha.process.type("before the crash");
    await charlie.process.waitForLine(
      roomLine(ROOM, alphaId, "before the crash"),
      WAIT_MS,
    );
    await stack.relay.kill();
    await Promise.all(
      members.map((member) =>
        member.process.waitForLine(/⚠ Lost the relay/, WAIT_MS)
      ),
    );
    await alpha.process.type("typed while down");
    await alpha.process.waitForLine(
      /… kept for room squad1 \(waiting for the relay\): "typed while down"$/,
      WAIT_MS,
    );
    await bravo.process.type("bravo while down");
    await stack.relay.start();
    for (
      const [receiver, sender, text] of [
        [bravo, alphaId, "typed while down"],
        [charlie, alphaId, "typed while down"],
        [alpha, bravoId, "bravo while down"],
        [charlie, bravoId, "bravo while down"],
      ] as const
    ) {
      await receiver.process.waitForLine(roomLine(ROOM, sender, text), WAIT_MS);
    }
    await alpha.process.waitForLine(
      /✓✓ \[squad1\] all 2 confirmed: "typed while down"/,
      WAIT_MS,
    );
    for (
      const [receiver, sender, text] of [
        [bravo, alphaId, "typed while down"],
        [charlie, bravoId, "bravo while down"],
        [charlie, alphaId, "before the crash"],
      ] as const
    ) {
      assertEquals(
        linesMatching(receiver.process, roomLine(ROOM, sender, text)).length,
        1,
        `${text} at ${receiver.deviceId}`,
      );
    }
  } finally {
    await stopClients(...members);
  }
});
