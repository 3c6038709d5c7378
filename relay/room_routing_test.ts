import { assert, assertEquals } from "@std/assert";
import { generateIdentity } from "../protocol/mod.ts";
import { ROOMS_NEED_KEY } from "./room_routing.ts";
import { type FakePeer, setupHub } from "./_test_hub.ts";
import { membershipFrame, roomChat, testKms, UNIX_NOW } from "./_test_rooms.ts";

const SQUAD = ["Alpha", "Bravo", "Charlie", "Delta"];

async function roomHub(limits = {}) {
  const kms = await testKms(() => UNIX_NOW);
  const setup = setupHub(limits, {
    kmsKey: kms.identity.publicKey,
    open: true,
    unixNow: () => UNIX_NOW,
  });
  // Sends a membership frame and waits for its signature check to end.
  const send = async (peer: FakePeer, text: string) => {
    setup.hub.receive(peer, text);
    // A ping after it is held until the check is done: its pong says so.
    setup.hub.receive(peer, '{"type":"ping","id":"done"}');
    for (let i = 0; i < 200; i++) {
      if (peer.sent.some((t) => t === '{"type":"pong","id":"done"}')) break;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const pong = peer.sent.indexOf('{"type":"pong","id":"done"}');
    assert(pong >= 0, "the membership check never ended");
    peer.sent.splice(pong, 1);
  };
  // The four of SQUAD online, in the room at epoch 1, their inboxes empty.
  const squad = async () => {
    const peers = SQUAD.map((id) => setup.connect(id));
    const membership = await kms.membership({ epoch: 1, members: SQUAD });
    await send(peers[0], membershipFrame("room_join", membership));
    for (const peer of peers) peer.take();
    return peers;
  };
  return { ...setup, kms, send, squad };
}

function ofType(peer: FakePeer, type: string): Record<string, unknown>[] {
  return peer.take().filter((frame) => frame.type === type);
}

Deno.test("four members: each room frame reaches the other three exactly once, byte for byte, with one ack", async () => {
  const { connect, send, kms } = await roomHub();
  const peers = SQUAD.map((id) => connect(id));
  const membership = await kms.membership({ epoch: 1, members: SQUAD });
  for (const peer of peers) {
    await send(peer, membershipFrame("room_join", membership));
  }
  for (const peer of peers) peer.take();
  const text = roomChat("Alpha", "m-1");
  const [alpha, ...others] = peers;
  await send(alpha, text);
  for (const peer of others) assertEquals(peer.sent, [text]);
  assertEquals(alpha.take(), [{
    type: "ack",
    id: "m-1",
    status: "delivered",
    delivered: 3,
    queued: 0,
    dropped: 0,
  }]);
});

Deno.test("every join is answered with room_presence to the online members; a member coming or going is told on tick", async () => {
  const { connect, send, kms, advance, hub } = await roomHub();
  const alpha = connect("Alpha");
  const bravo = connect("Bravo");
  const outsider = connect("Mallory");
  const membership = await kms.membership({ epoch: 1, members: SQUAD });
  await send(alpha, membershipFrame("room_join", membership));
  const presence = {
    type: "room_presence",
    room: "squad1",
    epoch: 1,
    membership,
    online: ["Alpha", "Bravo"],
  };
  assertEquals(alpha.take(), [presence]);
  assertEquals(bravo.take(), [presence]);
  // The same membership again changes nothing: only the joiner hears.
  await send(bravo, membershipFrame("room_join", membership));
  assertEquals([alpha.take(), bravo.take()], [[], [presence]]);
  const charlie = connect("Charlie");
  advance(25);
  const withCharlie = { ...presence, online: ["Alpha", "Bravo", "Charlie"] };
  for (const peer of [alpha, bravo, charlie]) {
    assertEquals(ofType(peer, "room_presence"), [withCharlie]);
  }
  hub.disconnect(charlie, 1000);
  advance(25);
  assertEquals(ofType(bravo, "room_presence"), [presence]);
  assertEquals(ofType(outsider, "room_presence"), []);
});

Deno.test("an offline member's copies wait in its own queue and arrive once when it registers, with no second ack", async () => {
  const { connect, send, kms, advance, hub } = await roomHub();
  const alpha = connect("Alpha");
  const bravo = connect("Bravo");
  const membership = await kms.membership({ epoch: 1, members: SQUAD });
  await send(alpha, membershipFrame("room_join", membership));
  alpha.take();
  const first = roomChat("Alpha", "m-1");
  const second = roomChat("Alpha", "m-2");
  await send(alpha, first);
  await send(alpha, second);
  assertEquals(alpha.take()[0], {
    type: "ack",
    id: "m-1",
    status: "queued",
    reason: "offline",
    delivered: 1,
    queued: 2,
    dropped: 0,
  });
  const charlie = connect();
  hub.receive(charlie, '{"type":"register","device_id":"Charlie"}');
  assertEquals(charlie.sent.slice(1, 3), [first, second]);
  advance(25);
  advance(25);
  assertEquals(charlie.sent.filter((t) => t === first).length, 1);
  assertEquals(alpha.take().filter((frame) => frame.type === "ack"), []);
  assertEquals(bravo.sent.filter((t) => t === first).length, 1);
});

Deno.test("copies for an offline member stay within the sender's share of its queue", async () => {
  // A quarter of 8 frames: two per sender for one recipient.
  const { connect, send, kms } = await roomHub({ queueMaxFrames: 8 });
  const alpha = connect("Alpha");
  const membership = await kms.membership({
    epoch: 1,
    members: ["Alpha", "Bravo"],
  });
  await send(alpha, membershipFrame("room_join", membership));
  alpha.take();
  for (const id of ["m-1", "m-2", "m-3"]) {
    await send(alpha, roomChat("Alpha", id));
  }
  const acks = alpha.take();
  assertEquals(acks.map((ack) => [ack.status, ack.reason]), [
    ["queued", "offline"],
    ["queued", "offline"],
    ["dropped", "queue_full"],
  ]);
  assertEquals(acks[2], {
    type: "ack",
    id: "m-3",
    status: "dropped",
    reason: "queue_full",
    delivered: 0,
    queued: 0,
    dropped: 1,
  });
});

Deno.test("a member alone in its room gets dropped/no_recipients", async () => {
  const { connect, send, kms } = await roomHub();
  const alpha = connect("Alpha");
  const membership = await kms.membership({ epoch: 1, members: ["Alpha"] });
  await send(alpha, membershipFrame("room_join", membership));
  alpha.take();
  await send(alpha, roomChat("Alpha", "m-1"));
  assertEquals(alpha.take(), [{
    type: "ack",
    id: "m-1",
    status: "dropped",
    reason: "no_recipients",
    delivered: 0,
    queued: 0,
    dropped: 0,
  }]);
});

Deno.test("non-members, spoofed senders, forged, expired and other rooms' memberships are refused; the connection stays", async () => {
  const { connect, send, kms, hub } = await roomHub();
  const alpha = connect("Alpha");
  const mallory = connect("Mallory");
  const membership = await kms.membership({ epoch: 1, members: SQUAD });
  await send(alpha, membershipFrame("room_join", membership));
  alpha.take();
  const refusals: [FakePeer, string, string][] = [
    [
      mallory,
      membershipFrame("room_join", membership),
      "Mallory is not a member of room squad1 at epoch 1",
    ],
    [
      mallory,
      roomChat("Mallory", "m-1"),
      "Mallory is not a member of room squad1 at epoch 1",
    ],
    [
      alpha,
      roomChat("Alpha", "m-2", { room: "squad2" }),
      "unknown room squad2: send room_join with its membership first",
    ],
    [
      alpha,
      roomChat("Alpha", "m-3", { to: "Mallory" }),
      "Mallory is not another member of room squad1 at epoch 1",
    ],
    [
      alpha,
      roomChat("Alpha", "m-4", { to: "Alpha" }),
      "Alpha is not another member of room squad1 at epoch 1",
    ],
    [
      mallory,
      membershipFrame(
        "room_join",
        await kms.membership({
          epoch: 2,
          members: ["Mallory", ...SQUAD],
          issuer: await generateIdentity(),
        }),
      ),
      "membership of room squad1 refused: it is not signed by this relay's KMS (forged, or from another KMS)",
    ],
    [
      alpha,
      membershipFrame(
        "room_join",
        await kms.membership({ epoch: 3, members: SQUAD, age: 7200 }),
      ),
      "membership of room squad1 refused: it has expired: ask the KMS for a fresh one (GET /rooms)",
    ],
    [
      alpha,
      membershipFrame("room_join", "not.a-membership"),
      "membership of room squad1 refused: it is malformed",
    ],
    [
      alpha,
      membershipFrame(
        "room_join",
        await kms.membership({ room: "squad2", epoch: 1, members: SQUAD }),
      ),
      "the membership is of room squad2, not squad1",
    ],
    [
      alpha,
      membershipFrame("room_join", membership, "bad room!"),
      "room name may hold only letters, digits, _ . -",
    ],
  ];
  for (const [peer, text, message] of refusals) {
    await send(peer, text);
    assertEquals(peer.take(), [{
      type: "error",
      code: "room_refused",
      message,
    }], text);
  }
  await send(mallory, roomChat("Alpha", "m-5"));
  assertEquals(mallory.take(), [{
    type: "error",
    code: "spoofed_sender",
    message: "this connection speaks for Mallory only",
  }]);
  assertEquals(alpha.closed, undefined);
  assertEquals(mallory.closed, undefined);
  assertEquals(hub.counters.refused.get("room_refused"), refusals.length);
});

Deno.test("a lower epoch never replaces a higher one; a leave stores the membership without the leaver and tells the rest", async () => {
  const { connect, send, kms, hub } = await roomHub();
  const [alpha, bravo, charlie] = ["Alpha", "Bravo", "Charlie"].map((id) =>
    connect(id)
  );
  const epoch1 = await kms.membership({
    epoch: 1,
    members: ["Alpha", "Bravo"],
  });
  const epoch2 = await kms.membership({
    epoch: 2,
    members: ["Alpha", "Bravo", "Charlie"],
  });
  await send(charlie, membershipFrame("room_join", epoch2));
  for (const peer of [alpha, bravo, charlie]) {
    assertEquals(ofType(peer, "room_presence").map((f) => f.epoch), [2]);
  }
  // Alpha is behind: its old membership keeps nothing, it learns epoch 2.
  await send(alpha, membershipFrame("room_join", epoch1));
  assertEquals(alpha.take().map((f) => [f.type, f.epoch]), [[
    "room_presence",
    2,
  ]]);
  assertEquals([bravo.take(), charlie.take()], [[], []]);
  assertEquals(hub.gauges().rooms, 1);

  // A leave must not list the leaver.
  await send(charlie, membershipFrame("room_leave", epoch2));
  assertEquals(charlie.take()[0].code, "room_refused");
  const epoch3 = await kms.membership({
    epoch: 3,
    members: ["Alpha", "Bravo"],
  });
  await send(charlie, membershipFrame("room_leave", epoch3));
  assertEquals(charlie.take(), []);
  for (const peer of [alpha, bravo]) {
    assertEquals(ofType(peer, "room_presence"), [{
      type: "room_presence",
      room: "squad1",
      epoch: 3,
      membership: epoch3,
      online: ["Alpha", "Bravo"],
    }]);
  }
  await send(charlie, roomChat("Charlie", "m-1"));
  assertEquals(
    charlie.take()[0].message,
    "Charlie is not a member of room squad1 at epoch 3",
  );
  await send(alpha, roomChat("Alpha", "m-2"));
  assertEquals(charlie.sent, []);
  // Charlie cannot come back with its old membership.
  await send(charlie, membershipFrame("room_join", epoch2));
  assertEquals(
    charlie.take()[0].message,
    "room squad1 is at epoch 3 here, where Charlie is not a member",
  );
  // The last one out closes the room.
  await send(
    alpha,
    membershipFrame(
      "room_leave",
      await kms.membership({ epoch: 4, members: ["Bravo"] }),
    ),
  );
  await send(
    bravo,
    membershipFrame(
      "room_leave",
      await kms.membership({ epoch: 5, members: [] }),
    ),
  );
  assertEquals(hub.gauges().rooms, 0);
  assertEquals([hub.counters.roomJoins, hub.counters.roomLeaves], [2, 3]);
});

Deno.test("a directed frame goes to its one member only", async () => {
  const { send, squad } = await roomHub();
  const peers = await squad();
  const text = roomChat("Alpha", "k-1", { kind: "key", to: "Charlie" });
  await send(peers[0], text);
  assertEquals(peers.map((peer) => peer.sent), [
    ['{"type":"ack","id":"k-1","status":"delivered","delivered":1,"queued":0,"dropped":0}'],
    [],
    [text],
    [],
  ]);
});

Deno.test("a relay --open without the KMS's key refuses rooms and says why", () => {
  const { connect, hub } = setupHub({}, { open: true });
  const alpha = connect("Alpha");
  hub.receive(alpha, membershipFrame("room_join", "x.y"));
  hub.receive(alpha, roomChat("Alpha", "m-1"));
  assertEquals(alpha.take(), [
    { type: "error", code: "room_refused", message: ROOMS_NEED_KEY },
    { type: "error", code: "room_refused", message: ROOMS_NEED_KEY },
  ]);
});

Deno.test("the relay logs a summary of room traffic, counts only, at most every 10 s", async () => {
  const { send, advance, lines, hub, squad } = await roomHub();
  const peers = await squad();
  for (let i = 0; i < 3; i++) await send(peers[1], roomChat("Bravo", `m-${i}`));
  advance(25);
  await send(peers[1], roomChat("Bravo", "m-3"));
  advance(5_000);
  const summaries = lines.filter((line) => line.startsWith("[MSG_RELAYED]"));
  assertEquals(summaries, ["[MSG_RELAYED] rooms=1 frames=3 copies=9"]);
  advance(5_000);
  assertEquals(
    lines.filter((line) => line.startsWith("[MSG_RELAYED]")).at(-1),
    "[MSG_RELAYED] rooms=1 frames=1 copies=3",
  );
  assert(lines.every((line) => !line.includes("5ec7e7")));
  assertEquals(hub.counters.roomFrames, 4);
  assertEquals(hub.counters.roomCopiesDelivered, 12);
});

Deno.test("memberships to verify are limited per connection; the same text twice is not verified again", async () => {
  const { connect, send, kms } = await roomHub();
  const alpha = connect("Alpha");
  const membership = await kms.membership({ epoch: 1, members: SQUAD });
  for (let i = 0; i < 40; i++) {
    await send(alpha, membershipFrame("room_join", membership));
  }
  assertEquals(ofType(alpha, "error"), []);
  // 31 checks left of 32: newer memberships, each verified.
  for (let epoch = 2; epoch <= 32; epoch++) {
    const newer = await kms.membership({ epoch, members: SQUAD });
    await send(alpha, membershipFrame("room_join", newer));
  }
  assertEquals(ofType(alpha, "error"), []);
  const one = await kms.membership({ epoch: 33, members: SQUAD });
  await send(alpha, membershipFrame("room_join", one));
  assertEquals(ofType(alpha, "error"), [{
    type: "error",
    code: "rate_limited",
    message: "too many room memberships to verify: wait a second",
  }]);
  assertEquals(alpha.closed, undefined);
});

Deno.test("frames sent while a membership is verified wait and are handled in order, an outbox's worth of them", async () => {
  const { connect, send, kms, hub } = await roomHub();
  const alpha = connect("Alpha");
  const bravo = connect("Bravo");
  const membership = await kms.membership({ epoch: 1, members: SQUAD });
  hub.receive(alpha, membershipFrame("room_join", membership));
  const texts = Array.from(
    { length: 100 },
    (_, i) => roomChat("Alpha", `m-${i}`),
  );
  for (const text of texts) hub.receive(alpha, text);
  await send(alpha, '{"type":"ping","id":"after"}');
  assertEquals(alpha.closed, undefined);
  assertEquals(
    bravo.sent.filter((text) => text.includes('"room_chat"')),
    texts,
  );
});
