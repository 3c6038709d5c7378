import { assertEquals, assertFalse } from "@std/assert";
import { MAX_HELD_FRAMES } from "./room_engine.ts";
import { ROOM, TestSquad } from "./_test_room_squad.ts";

const ALPHA = "Soldier_Alpha";
const BRAVO = "Soldier_Bravo";
const CHARLIE = "Soldier_Charlie";
const DELTA = "Soldier_Delta";
const ECHO = "Soldier_Echo";

// A squad whose members joined one at a time, each membership announced to
// the members of the time and the frames delivered between joins.
async function squadOf(ids: string[]): Promise<TestSquad> {
  const squad = new TestSquad();
  for (const id of ids) await squad.device(id);
  for (let n = 1; n <= ids.length; n++) {
    const members = ids.slice(0, n);
    await squad.announce(await squad.rekey(members), members);
    await squad.flush();
  }
  return squad;
}

function epochOf(squad: TestSquad, id: string): number | undefined {
  return squad.devices.get(id)!.engine.status(ROOM)?.epoch;
}

Deno.test("four members converge and read each other's lines exactly once, in order", async () => {
  const ids = [ALPHA, BRAVO, CHARLIE, DELTA];
  const squad = await squadOf(ids);
  for (const id of ids) {
    const status = squad.devices.get(id)!.engine.status(ROOM)!;
    assertEquals(status.epoch, 4);
    assertEquals(status.keysIn.length, 3);
    assertEquals([status.waitingFor, status.lackOurs], [[], []]);
  }
  for (let round = 1; round <= 3; round++) {
    for (const id of ids) await squad.say(id, `line ${round}`);
  }
  await squad.flush();
  for (const id of ids) {
    const expected = [1, 2, 3].flatMap((round) =>
      ids.filter((other) => other !== id).map((other) =>
        `${other}: line ${round}`
      )
    );
    assertEquals(squad.lines(id), expected);
    assertEquals(squad.refusals(id), []);
  }
  assertFalse(squad.carriedHolds(new TextEncoder().encode("line 1")));
});

Deno.test("each epoch's room key is reported once; frames hold only their fields", async () => {
  const squad = await squadOf([ALPHA, BRAVO]);
  const keys = squad.devices.get(BRAVO)!.events.filter((event) =>
    event.type === "room_key"
  );
  assertEquals(keys.map((event) => event.type === "room_key" && event.epoch), [
    2,
  ]);
  // Frames carry the contract's fields and nothing else.
  const fields = [
    "ciphertext",
    "epoch",
    "id",
    "kind",
    "nonce",
    "room",
    "sender",
    "seq",
    "signature",
    "timestamp",
    "type",
  ];
  for (const frame of squad.carried) {
    const expected = frame.to === undefined ? fields : [...fields, "to"];
    assertEquals(Object.keys(frame).sort(), expected.sort());
  }
});

Deno.test("after a member leaves, what it kept reads nothing of the new epoch", async () => {
  const squad = await squadOf([ALPHA, BRAVO, CHARLIE, DELTA]);
  const departed = squad.devices.get(DELTA)!;
  const leave = await squad.rekey([ALPHA, BRAVO, CHARLIE]);
  await squad.announce(leave, [ALPHA, BRAVO, CHARLIE]);
  await squad.flush();
  const before = squad.carried.length;
  await squad.say(ALPHA, "after Delta left");
  await squad.flush();
  assertEquals(squad.lines(BRAVO).at(-1), `${ALPHA}: after Delta left`);
  assertEquals(squad.lines(CHARLIE).at(-1), `${ALPHA}: after Delta left`);
  // Delta's engine still holds epoch 4 and is handed every frame of epoch
  // 5 that crossed the relay (as a capture or a hostile relay would).
  const epoch5 = squad.carried.filter((frame) => frame.epoch === 5);
  assertEquals(epoch5.length > 0, squad.carried.length > before);
  for (const frame of epoch5) {
    departed.events.push(...await departed.engine.receive(frame));
  }
  assertEquals(squad.lines(DELTA), []);
  // Nor does the KMS give it R(5); the new membership ends the room for it.
  await squad.announce(leave, [DELTA]);
  assertEquals(departed.events.at(-1), { type: "left", room: ROOM, epoch: 5 });
  assertEquals(departed.engine.status(ROOM), undefined);
  assertEquals(squad.lines(DELTA), []);
});

Deno.test("two members joining at once end in the same epoch as everyone", async () => {
  const squad = await squadOf([ALPHA, BRAVO]);
  await squad.device(CHARLIE);
  await squad.device(ECHO);
  // The KMS serialises the joins: epoch 3 with Charlie, 4 with Echo too.
  const three = await squad.rekey([ALPHA, BRAVO, CHARLIE]);
  const four = await squad.rekey([ALPHA, BRAVO, CHARLIE, ECHO]);
  // The memberships reach the members in different orders.
  await squad.announce(four, [ALPHA, ECHO]);
  await squad.announce(three, [BRAVO, CHARLIE, ALPHA, ECHO]);
  await squad.announce(four, [CHARLIE, BRAVO]);
  await squad.flush();
  const ids = [ALPHA, BRAVO, CHARLIE, ECHO];
  assertEquals(ids.map((id) => epochOf(squad, id)), [4, 4, 4, 4]);
  for (const id of ids) await squad.say(id, `from ${id}`);
  await squad.flush();
  for (const id of ids) {
    assertEquals(
      squad.lines(id),
      ids.filter((other) => other !== id).map((other) =>
        `${other}: from ${other}`
      ),
    );
  }
});

Deno.test("a member that comes online late is answered and reads what waited for it", async () => {
  const squad = await squadOf([ALPHA, BRAVO]);
  const charlie = await squad.device(CHARLIE);
  charlie.online = false;
  const three = await squad.rekey([ALPHA, BRAVO, CHARLIE]);
  await squad.announce(three, [ALPHA, BRAVO]);
  await squad.flush();
  await squad.say(ALPHA, "while Charlie was away");
  await squad.flush();
  assertEquals(squad.lines(BRAVO).at(-1), `${ALPHA}: while Charlie was away`);
  const waiting = squad.devices.get(ALPHA)!.engine.status(ROOM)!;
  assertEquals(waiting.lackOurs, [CHARLIE]);
  // Its queue arrives before it learns the membership.
  await squad.online(CHARLIE);
  assertEquals(squad.lines(CHARLIE), []);
  await squad.announce(three, [CHARLIE]);
  await squad.flush();
  assertEquals(squad.lines(CHARLIE), [`${ALPHA}: while Charlie was away`]);
  assertEquals(squad.devices.get(ALPHA)!.engine.status(ROOM)!.lackOurs, []);
  await squad.say(CHARLIE, "back");
  await squad.flush();
  assertEquals(squad.lines(ALPHA).at(-1), `${CHARLIE}: back`);
  assertEquals(squad.lines(BRAVO).at(-1), `${CHARLIE}: back`);
});

Deno.test("a member back after the others' tickets expired gets fresh hellos", async () => {
  const squad = await squadOf([ALPHA, BRAVO]);
  const charlie = await squad.device(CHARLIE);
  charlie.online = false;
  await squad.announce(await squad.rekey([ALPHA, BRAVO, CHARLIE]), [
    ALPHA,
    BRAVO,
  ]);
  await squad.flush();
  await squad.say(ALPHA, "sent an hour and more ago");
  await squad.flush();
  // Two hours on: every device renewed its ticket; the queued hellos carry
  // expired ones, and the membership is fetched afresh.
  squad.clock += 2 * 3600 * 1000;
  for (const device of squad.devices.values()) await squad.renewTicket(device);
  await squad.online(CHARLIE);
  await squad.announce(await squad.membershipNow(), [CHARLIE]);
  await squad.flush();
  assertEquals(squad.lines(CHARLIE), [`${ALPHA}: sent an hour and more ago`]);
  await squad.say(CHARLIE, "back");
  await squad.flush();
  assertEquals(squad.lines(ALPHA).at(-1), `${CHARLIE}: back`);
  assertEquals(squad.lines(BRAVO).at(-1), `${CHARLIE}: back`);
  assertEquals(charlie.engine.status(ROOM)!.keysIn, [ALPHA, BRAVO]);
});

Deno.test("frames that overtake the sender key are held and released once", async () => {
  const squad = new TestSquad();
  const alpha = await squad.device(ALPHA);
  const bravo = await squad.device(BRAVO);
  await squad.announce(await squad.rekey([ALPHA, BRAVO]), [ALPHA, BRAVO]);
  await squad.deliver((frame) => frame.kind === "hello");
  // Alpha's key frame to Bravo stays on the wire; its lines overtake it.
  const sealed = [];
  for (const text of ["one", "two"]) {
    const result = await alpha.engine.seal(
      ROOM,
      new TextEncoder().encode(text),
    );
    if (!result.ok) throw new Error(result.message);
    sealed.push(result.frame);
  }
  for (const frame of [sealed[1], sealed[0], sealed[1]]) {
    bravo.events.push(...await bravo.engine.receive(frame));
  }
  assertEquals(bravo.engine.status(ROOM)!.held, 3);
  assertEquals(bravo.engine.status(ROOM)!.waitingFor, [ALPHA]);
  await squad.flush();
  assertEquals(squad.lines(BRAVO), [`${ALPHA}: two`, `${ALPHA}: one`]);
  assertEquals(squad.refusals(BRAVO), ["replayed"]);
  assertEquals(bravo.engine.status(ROOM)!.held, 0);
  // A replay later is refused too.
  bravo.events.push(...await bravo.engine.receive(sealed[0]));
  assertEquals(squad.lines(BRAVO).length, 2);
});

Deno.test(`at most ${MAX_HELD_FRAMES} frames wait per room`, async () => {
  const squad = new TestSquad();
  const alpha = await squad.device(ALPHA);
  const bravo = await squad.device(BRAVO);
  const membership = await squad.rekey([ALPHA, BRAVO]);
  await squad.announce(membership, [ALPHA]);
  // Bravo does not know the room yet, then lacks Alpha's key.
  for (let i = 0; i < MAX_HELD_FRAMES + 3; i++) {
    const result = await alpha.engine.seal(ROOM, Uint8Array.of(i));
    if (!result.ok) throw new Error(result.message);
    bravo.events.push(...await bravo.engine.receive(result.frame));
  }
  assertEquals(squad.refusals(BRAVO), Array(3).fill("held_overflow"));
  await squad.announce(membership, [BRAVO]);
  assertEquals(bravo.engine.status(ROOM)!.held, MAX_HELD_FRAMES);
  await squad.flush();
  const read = bravo.events.flatMap((event) =>
    event.type === "message" ? [event.bytes[0]] : []
  );
  assertEquals(read.length, MAX_HELD_FRAMES);
  assertEquals(read[0], 3);
  assertEquals(bravo.engine.status(ROOM)!.held, 0);
});

Deno.test("a changed identity key is refused until the soldier trusts it", async () => {
  const squad = new TestSquad();
  await squad.device(ALPHA);
  const bravo = await squad.device(BRAVO);
  bravo.pin = "changed";
  await squad.announce(await squad.rekey([ALPHA, BRAVO]), [ALPHA, BRAVO]);
  await squad.flush();
  assertEquals(squad.refusals(BRAVO), ["key_changed"]);
  assertEquals(bravo.engine.status(ROOM)!.keysIn, []);
  assertEquals(bravo.engine.status(ROOM)!.lackOurs, [ALPHA]);
  // Still changed: said once only.
  bravo.events.push(...await bravo.engine.recheck());
  assertEquals(squad.refusals(BRAVO), ["key_changed"]);
  // The soldier compared safety numbers and trusted the key.
  bravo.pin = "ok";
  bravo.events.push(...await bravo.engine.recheck());
  await squad.flush();
  assertEquals(bravo.engine.status(ROOM)!.keysIn, [ALPHA]);
  await squad.say(ALPHA, "trusted");
  await squad.flush();
  assertEquals(squad.lines(BRAVO), [`${ALPHA}: trusted`]);
});

Deno.test("without a room key nothing is sent; a retry after the link recovers works", async () => {
  const squad = new TestSquad();
  const alpha = await squad.device(ALPHA);
  await squad.device(BRAVO);
  squad.refuseKeys = "link RED: QBER 0.25";
  await squad.announce(await squad.rekey([ALPHA, BRAVO]), [ALPHA, BRAVO]);
  assertEquals(alpha.events.at(-1), {
    type: "key_unavailable",
    room: ROOM,
    epoch: 1,
    reason: "link_red",
    message: "link RED: QBER 0.25",
  });
  assertEquals(
    await alpha.engine.seal(ROOM, Uint8Array.of(1)),
    { ok: false, reason: "link_red", message: "link RED: QBER 0.25" },
  );
  assertEquals(squad.carried, []);
  squad.refuseKeys = undefined;
  // A retry of a room without a failed key does nothing.
  assertEquals(await alpha.engine.retryKey("other"), []);
  for (const id of [ALPHA, BRAVO]) {
    const device = squad.devices.get(id)!;
    device.events.push(...await device.engine.retryKey(ROOM));
  }
  await squad.flush();
  await squad.say(ALPHA, "link is back");
  await squad.flush();
  assertEquals(squad.lines(BRAVO), [`${ALPHA}: link is back`]);
});

Deno.test("a receipt goes to one member; seal refuses what cannot go", async () => {
  const squad = await squadOf([ALPHA, BRAVO, CHARLIE]);
  await squad.say(BRAVO, "seen", ALPHA);
  await squad.flush();
  assertEquals(squad.lines(ALPHA), [`${BRAVO}: seen`]);
  assertEquals(squad.lines(CHARLIE), []);
  const bravo = squad.devices.get(BRAVO)!.engine;
  const refusal = async (room: string, bytes: Uint8Array, to?: string) => {
    const sealed = await bravo.seal(room, bytes, to ? { to } : {});
    return sealed.ok ? "sealed" : sealed.reason;
  };
  assertEquals(await refusal("other", Uint8Array.of(1)), "no_room");
  assertEquals(await refusal(ROOM, Uint8Array.of(1), ECHO), "not_a_member");
  assertEquals(await refusal(ROOM, Uint8Array.of(1), BRAVO), "not_a_member");
  assertEquals(await refusal(ROOM, new Uint8Array(64 * 1024)), "too_large");
});

Deno.test("memberships: a bad one is refused, an old one ignored", async () => {
  const squad = await squadOf([ALPHA, BRAVO]);
  const alpha = squad.devices.get(ALPHA)!;
  assertEquals(await alpha.engine.setMembership("forged.text"), [{
    type: "refused",
    reason: "bad_membership",
    message: "membership refused: malformed",
  }]);
  const other = new TestSquad();
  await other.device(ALPHA);
  const foreign = await other.rekey([ALPHA, BRAVO]);
  assertEquals(
    (await alpha.engine.setMembership(foreign))[0].type,
    "refused",
  );
  assertEquals(epochOf(squad, ALPHA), 2);
});

Deno.test("a member cannot pass a line off as another's", async () => {
  const squad = await squadOf([ALPHA, BRAVO, CHARLIE]);
  const bravo = squad.devices.get(BRAVO)!;
  const line = await squad.say(BRAVO, "genuine");
  await squad.flush();
  // Bravo's frame relabelled as Alpha's: the signature is Bravo's.
  const relabelled = { ...line, sender: ALPHA, id: "m-forged" };
  const charlie = squad.devices.get(CHARLIE)!;
  charlie.events.push(...await charlie.engine.receive(relabelled));
  assertEquals(squad.lines(CHARLIE), [`${BRAVO}: genuine`]);
  assertEquals(squad.refusals(CHARLIE), ["bad_signature"]);
  assertEquals(bravo.events.filter((e) => e.type === "refused"), []);
});

Deno.test("frames of a past epoch still read after the re-key, older ones not", async () => {
  const squad = await squadOf([ALPHA, BRAVO]);
  const bravo = squad.devices.get(BRAVO)!;
  const late = await squad.devices.get(ALPHA)!.engine.seal(
    ROOM,
    new TextEncoder().encode("sealed at epoch 2"),
  );
  if (!late.ok) throw new Error(late.message);
  await squad.announce(await squad.rekey([ALPHA, BRAVO]), [ALPHA, BRAVO]);
  await squad.flush();
  bravo.events.push(...await bravo.engine.receive(late.frame));
  assertEquals(squad.lines(BRAVO), [`${ALPHA}: sealed at epoch 2`]);
  await squad.announce(await squad.rekey([ALPHA, BRAVO]), [ALPHA, BRAVO]);
  bravo.events.push(
    ...await bravo.engine.receive({ ...late.frame, id: "m-again" }),
  );
  assertEquals(squad.refusals(BRAVO), ["stale_epoch"]);
});

Deno.test("a member that restarts mid-epoch is re-keyed with the others", async () => {
  const squad = await squadOf([ALPHA, BRAVO, CHARLIE]);
  await squad.say(CHARLIE, "before the restart");
  await squad.flush();
  const charlie = squad.restart(CHARLIE);
  await squad.announce(await squad.membershipNow(), [CHARLIE]);
  await squad.flush();
  await squad.say(CHARLIE, "after the restart");
  await squad.say(ALPHA, "welcome back");
  await squad.flush();
  for (const id of [ALPHA, BRAVO]) {
    assertEquals(squad.lines(id).filter((line) => line.startsWith(CHARLIE)), [
      `${CHARLIE}: before the restart`,
      `${CHARLIE}: after the restart`,
    ]);
  }
  assertEquals(squad.lines(CHARLIE).at(-1), `${ALPHA}: welcome back`);
  assertEquals(charlie.engine.status(ROOM)!.keysIn, [ALPHA, BRAVO]);
  assertEquals(squad.refusals(ALPHA), []);
});
