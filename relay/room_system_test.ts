/**
 * Squad rooms on the relay as a real process with tickets, driven by raw
 * WebSocket clients: fan-out to four members exactly once, queued copies
 * for an offline member, directed frames, refusals (non-member, spoofed
 * sender, forged or expired membership, bad room name) after which the
 * relay stays up, epochs, leaves, room presence and watch-narrowed
 * presence, the `[MSG_RELAYED]` summary and a log without contents.
 */

import { assert, assertEquals } from "@std/assert";
import {
  generateIdentity,
  type Identity,
  issueTicket,
} from "../protocol/mod.ts";
import { ROOMS_NEED_KEY } from "./room_routing.ts";
import { startRelay, TestClient } from "./_test_relay.ts";
import { membershipFrame, roomChat, testKms } from "./_test_rooms.ts";

const BASE64URL = { alphabet: "base64url", omitPadding: true } as const;
const SQUAD = [
  "Soldier_Alpha",
  "Soldier_Bravo",
  "Soldier_Charlie",
  "Soldier_Delta",
];

// A relay verifying tickets and memberships with a test KMS's key, and a way
// to bring ticketed devices onto it.
async function roomRelay() {
  const kms = await testKms();
  const dir = await Deno.makeTempDir({ prefix: "relay-rooms-" });
  const keyFile = `${dir}/ticket_key.pub`;
  await Deno.writeTextFile(keyFile, kms.identity.publicKey.toBase64(BASE64URL));
  const relay = await startRelay({
    open: false,
    args: ["--ticket-key", keyFile],
    read: [keyFile],
  });
  const identities = new Map<string, Identity>();
  return {
    kms,
    relay,
    async device(
      deviceId: string,
      fields: Record<string, unknown> = {},
    ): Promise<TestClient> {
      let identity = identities.get(deviceId);
      if (!identity) {
        identities.set(deviceId, identity = await generateIdentity());
      }
      const ticket = await issueTicket(kms.identity, {
        deviceId,
        publicKey: identity.publicKey,
        now: Date.now() / 1000,
        lifetimeSeconds: 3600,
      });
      const client = await TestClient.connect(relay.url);
      await client.register(deviceId, { identity, ticket, ...fields });
      return client;
    },
    async healthy(): Promise<void> {
      const health = await fetch(`http://127.0.0.1:${relay.port}/healthz`);
      assertEquals((await health.json()).status, "ok");
    },
    async [Symbol.asyncDispose]() {
      await relay[Symbol.asyncDispose]();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

// Joins and waits for the joiner's own room_presence.
async function join(client: TestClient, membership: string, room = "squad1") {
  client.send(membershipFrame("room_join", membership, room));
  return (await client.nextOfType("room_presence")).frame;
}

async function refusal(client: TestClient, frame: string): Promise<unknown> {
  client.send(frame);
  const { frame: error } = await client.nextOfType("error");
  return [error.code, error.message];
}

Deno.test("four members: every room frame reaches the other three exactly once, a directed one only its member; presence only to members", async () => {
  await using setup = await roomRelay();
  await using mallory = await setup.device("Mallory");
  const members = [];
  for (const id of SQUAD) members.push(await setup.device(id));
  const [alpha, bravo, charlie, delta] = members;
  const membership = await setup.kms.membership({ epoch: 1, members: SQUAD });
  await join(alpha, membership);
  for (const member of [bravo, charlie, delta]) {
    const presence = await member.nextOfType("room_presence");
    assertEquals(presence.frame.online, SQUAD);
    assertEquals(presence.frame.membership, membership);
  }
  for (let i = 0; i < 5; i++) {
    const sender = members[i % 4];
    const text = roomChat(SQUAD[i % 4], `m-${i}`);
    sender.send(text);
    const ack = (await sender.nextOfType("ack")).frame;
    assertEquals(ack, {
      type: "ack",
      id: `m-${i}`,
      status: "delivered",
      delivered: 3,
      queued: 0,
      dropped: 0,
    });
    for (const other of members.filter((m) => m !== sender)) {
      assertEquals((await other.nextOfType("room_chat")).text, text);
    }
  }
  const key = roomChat("Soldier_Bravo", "k-1", {
    kind: "key",
    to: "Soldier_Delta",
  });
  bravo.send(key);
  assertEquals((await bravo.nextOfType("ack")).frame.delivered, 1);
  assertEquals((await delta.nextOfType("room_chat")).text, key);
  // Nothing more: exactly once each, and nothing for the outsider.
  alpha.send('{"type":"ping","id":"p"}');
  await alpha.nextOfType("pong");
  for (const member of members) {
    assertEquals(member.inbox.filter((r) => r.frame.type === "room_chat"), []);
  }
  assertEquals(
    mallory.inbox.filter((r) => String(r.frame.type).startsWith("room")),
    [],
  );
  for (const member of members) await member[Symbol.asyncDispose]();
  const metrics = await setup.relay.metrics();
  assertEquals(metrics.get("qstcs_relay_room_frames_total"), 6);
  assertEquals(metrics.get("qstcs_relay_room_copies_delivered_total"), 16);
  assertEquals(metrics.get("qstcs_relay_rooms"), 1);
  // The summary counts; the log never holds a frame's contents.
  // The summary is written on the relay's next tick, so wait for it.
  await setup.relay.process.waitForLine(/\[MSG_RELAYED\] rooms=1 frames=/);
  const output = setup.relay.process.output;
  assert(!output.includes("5ec7e7"), "ciphertext in the relay's log");
});

Deno.test("an offline member gets its queued copies once when it registers; watchers hear only of whom they watch", async () => {
  await using setup = await roomRelay();
  await using watcher = await setup.device("Watcher", {
    watch: ["Soldier_Charlie"],
  });
  await using alpha = await setup.device("Soldier_Alpha");
  await using bravo = await setup.device("Soldier_Bravo");
  const membership = await setup.kms.membership({ epoch: 1, members: SQUAD });
  await join(alpha, membership);
  await bravo.nextOfType("room_presence");
  const texts = [
    roomChat("Soldier_Alpha", "m-1"),
    roomChat("Soldier_Alpha", "m-2"),
  ];
  for (const text of texts) alpha.send(text);
  for (const id of ["m-1", "m-2"]) {
    assertEquals((await alpha.nextOfType("ack")).frame, {
      type: "ack",
      id,
      status: "queued",
      reason: "offline",
      delivered: 1,
      queued: 2,
      dropped: 0,
    });
  }
  await using charlie = await setup.device("Soldier_Charlie");
  assertEquals((await charlie.nextOfType("room_chat")).text, texts[0]);
  assertEquals((await charlie.nextOfType("room_chat")).text, texts[1]);
  const presence = await alpha.nextOfType("room_presence");
  assertEquals(presence.frame.online, [
    "Soldier_Alpha",
    "Soldier_Bravo",
    "Soldier_Charlie",
  ]);
  // The watcher heard of Charlie only, never of Alpha or Bravo.
  assertEquals((await watcher.nextOfType("presence")).frame.online, [
    "Soldier_Charlie",
    "Watcher",
  ]);
  alpha.send('{"type":"ping","id":"p"}');
  await alpha.nextOfType("pong");
  assertEquals(alpha.inbox.filter((r) => r.frame.type === "ack"), []);
  assertEquals(charlie.inbox.filter((r) => r.frame.type === "room_chat"), []);
  assertEquals(watcher.inbox.filter((r) => r.frame.type !== "presence"), []);
});

Deno.test("non-members, spoofed senders, forged and expired memberships and bad room names are refused clearly; the relay stays up", async () => {
  await using setup = await roomRelay();
  await using alpha = await setup.device("Soldier_Alpha");
  await using mallory = await setup.device("Mallory");
  const { kms } = setup;
  const membership = await kms.membership({ epoch: 1, members: SQUAD });
  await join(alpha, membership);
  const cases: [TestClient, string, unknown][] = [
    [mallory, membershipFrame("room_join", membership), [
      "room_refused",
      "Mallory is not a member of room squad1 at epoch 1",
    ]],
    [mallory, roomChat("Mallory", "m-1"), [
      "room_refused",
      "Mallory is not a member of room squad1 at epoch 1",
    ]],
    [mallory, roomChat("Soldier_Alpha", "m-2"), [
      "spoofed_sender",
      "this connection speaks for Mallory only",
    ]],
    [
      mallory,
      membershipFrame(
        "room_join",
        await kms.membership({
          epoch: 2,
          members: [...SQUAD, "Mallory"],
          issuer: await generateIdentity(),
        }),
      ),
      [
        "room_refused",
        "membership of room squad1 refused: it is not signed by this relay's KMS (forged, or from another KMS)",
      ],
    ],
    [
      alpha,
      membershipFrame(
        "room_join",
        await kms.membership({ epoch: 2, members: SQUAD, age: 7200 }),
      ),
      [
        "room_refused",
        "membership of room squad1 refused: it has expired: ask the KMS for a fresh one (GET /rooms)",
      ],
    ],
    [alpha, membershipFrame("room_join", membership, "x".repeat(33)), [
      "room_refused",
      "room name is 33 characters; at most 32",
    ]],
    [alpha, roomChat("Soldier_Alpha", "m-3", { room: "a\u0007b" }), [
      "room_refused",
      "room name has a control character; use letters, digits, _ . -",
    ]],
    [alpha, roomChat("Soldier_Alpha", "m-4", { room: "squad9" }), [
      "room_refused",
      "unknown room squad9: send room_join with its membership first",
    ]],
  ];
  for (const [client, frame, expected] of cases) {
    assertEquals(await refusal(client, frame), expected, frame);
    await setup.healthy();
  }
  // Both connections are still up and the room still works.
  await using bravo = await setup.device("Soldier_Bravo");
  const text = roomChat("Soldier_Alpha", "m-5");
  alpha.send(text);
  assertEquals((await bravo.nextOfType("room_chat")).text, text);
  assertEquals(mallory.socket.readyState, WebSocket.OPEN);
  const metrics = await setup.relay.metrics();
  assertEquals(
    metrics.get('qstcs_relay_frames_refused_total{code="room_refused"}'),
    7,
  );
});

Deno.test("a lower epoch never replaces a higher one; a leave unsubscribes the leaver and tells the others", async () => {
  await using setup = await roomRelay();
  const { kms } = setup;
  await using alpha = await setup.device("Soldier_Alpha");
  await using bravo = await setup.device("Soldier_Bravo");
  await using charlie = await setup.device("Soldier_Charlie");
  const three = ["Soldier_Alpha", "Soldier_Bravo", "Soldier_Charlie"];
  const epoch1 = await kms.membership({ epoch: 1, members: three.slice(0, 2) });
  const epoch2 = await kms.membership({ epoch: 2, members: three });
  assertEquals((await join(charlie, epoch2)).epoch, 2);
  await alpha.nextOfType("room_presence");
  await bravo.nextOfType("room_presence");
  // Alpha's older membership is answered with the newer one.
  assertEquals((await join(alpha, epoch1)).membership, epoch2);
  const epoch3 = await kms.membership({ epoch: 3, members: three.slice(0, 2) });
  charlie.send(membershipFrame("room_leave", epoch3));
  for (const member of [alpha, bravo]) {
    const { frame } = await member.nextOfType("room_presence");
    assertEquals([frame.epoch, frame.online], [3, three.slice(0, 2)]);
  }
  assertEquals(
    await refusal(charlie, roomChat("Soldier_Charlie", "m-1")),
    [
      "room_refused",
      "Soldier_Charlie is not a member of room squad1 at epoch 3",
    ],
  );
  assertEquals(await refusal(charlie, membershipFrame("room_join", epoch2)), [
    "room_refused",
    "room squad1 is at epoch 3 here, where Soldier_Charlie is not a member",
  ]);
  const text = roomChat("Soldier_Alpha", "m-2");
  alpha.send(text);
  assertEquals((await alpha.nextOfType("ack")).frame.delivered, 1);
  assertEquals((await bravo.nextOfType("room_chat")).text, text);
  charlie.send('{"type":"ping","id":"p"}');
  await charlie.nextOfType("pong");
  assertEquals(
    charlie.inbox.filter((r) => String(r.frame.type).startsWith("room")),
    [],
  );
});

Deno.test("a relay --open without the KMS's key refuses rooms and says why", async () => {
  await using relay = await startRelay({ open: true });
  await using alpha = await TestClient.connect(relay.url);
  await alpha.register("Soldier_Alpha");
  assertEquals(await refusal(alpha, membershipFrame("room_join", "x.y")), [
    "room_refused",
    ROOMS_NEED_KEY,
  ]);
  assertEquals(alpha.socket.readyState, WebSocket.OPEN);
});
