import { assertEquals } from "@std/assert";
import type { RoomChatFrame } from "../protocol/mod.ts";
import { Inbox } from "./inbox.ts";
import { httpRoomKms } from "./kms_rooms.ts";
import type { ChatLine } from "./line_order.ts";
import { type ClientEvent, describe } from "./messages.ts";
import { Outbox } from "./outbox.ts";
import type { EngineEvent, RoomProtocol } from "./room_protocol.ts";
import { type ProtocolHooks, Rooms } from "./rooms.ts";
import { waitUntil } from "../testing/wait.ts";
import { startFakeRoomKms } from "./_test_room_kms.ts";

// A stand-in for the sender-key engine (room_engine.ts has its own
// tests): epochs from the fake KMS's membership text, the room key fetched
// through the hook, lines carried in clear. What is tested here is the room
// layer: membership, routing, receipts and acks.
interface PlainFrame {
  type: "room_chat";
  id: string;
  sender: string;
  room: string;
  epoch: number;
  kind: string;
  to?: string;
  body?: string;
  timestamp: number;
}

function plainProtocol(deviceId: string) {
  return (hooks: ProtocolHooks): RoomProtocol => {
    const epochs = new Map<string, { epoch: number; keyReady: boolean }>();
    let frames = 0;
    const frame = (room: string, kind: string, extra = {}): PlainFrame => ({
      type: "room_chat",
      id: `${deviceId}-${++frames}`,
      sender: deviceId,
      room,
      epoch: epochs.get(room)!.epoch,
      kind,
      timestamp: Math.floor(Date.now() / 1000),
      ...extra,
    });
    const fetch = async (room: string): Promise<EngineEvent[]> => {
      const state = epochs.get(room)!;
      const key = await hooks.fetchRoomKey(room, state.epoch);
      if (epochs.get(room) !== state) return [];
      if (!key.ok) {
        return [{ type: "key_unavailable", room, epoch: state.epoch, ...key }];
      }
      state.keyReady = true;
      hooks.send(frame(room, "hello") as unknown as RoomChatFrame);
      return [{ type: "room_key", room, epoch: state.epoch, keyId: key.keyId }];
    };
    return {
      async setMembership(text) {
        const [, room, epochText] = text.split(" ");
        const epoch = Number(epochText);
        if ((epochs.get(room)?.epoch ?? 0) >= epoch) return [];
        epochs.set(room, { epoch, keyReady: false });
        return await fetch(room);
      },
      retryKey: (room) => fetch(room),
      receive(value) {
        const received = value as PlainFrame;
        if (received.kind !== "msg") return Promise.resolve([]);
        return Promise.resolve([{
          type: "message",
          room: received.room,
          epoch: received.epoch,
          sender: received.sender,
          seq: 0,
          id: received.id,
          timestamp: received.timestamp,
          bytes: Uint8Array.fromBase64(received.body!),
        }]);
      },
      seal(room, bytes, options = {}) {
        if (!epochs.get(room)?.keyReady) {
          return Promise.resolve({ ok: false, reason: "no_key", message: "" });
        }
        const sealed = frame(room, "msg", {
          body: bytes.toBase64(),
          ...options,
        });
        // In clear: not a real frame, which the room layer only forwards.
        return Promise.resolve({
          ok: true,
          frame: sealed as unknown as RoomChatFrame,
        });
      },
      status(room) {
        const state = epochs.get(room);
        return state && {
          ...state,
          room,
          members: [],
          keysIn: [],
          waitingFor: [],
          lackOurs: [],
          held: 0,
        };
      },
      forget: (room) => void epochs.delete(room),
    };
  };
}

Deno.test("three members: a line reaches the other two once, acked with counts and confirmed by all", async () => {
  await using kms = startFakeRoomKms();
  const names = ["Soldier_Alpha", "Soldier_Bravo", "Soldier_Charlie"];
  const shown = new Map<string, string[]>(names.map((n) => [n, []]));
  const said = new Map<string, string[]>(names.map((n) => [n, []]));
  const clients = new Map<string, Rooms>();
  // The relay: fans a frame out to the room's members (or its `to`), acks
  // with member counts.
  const relay = (from: string, frame: { type?: string; id?: string }) => {
    if (frame.type !== "room_chat") return true;
    const chat = frame as PlainFrame;
    const members = kms.rooms.get(chat.room)?.members ?? [];
    const targets = chat.to ? [chat.to] : members.filter((m) => m !== from);
    queueMicrotask(() => {
      for (const target of targets) void clients.get(target)!.take(chat);
      clients.get(from)!.delivery.onAck({
        id: chat.id,
        status: "delivered",
        delivered: targets.length,
        queued: 0,
      });
    });
    return true;
  };
  for (const name of names) {
    const rooms: Rooms = new Rooms({
      deviceId: name,
      kms: httpRoomKms(kms.url, { deviceId: name }),
      outbox: new Outbox(),
      inbox: new Inbox(),
      send: (frame) => relay(name, frame),
      protocol: plainProtocol(name),
      canSend: () => true,
      canKey: () => true,
      show: (room: string, sender: string, line: ChatLine) =>
        shown.get(name)!.push(`[${room}] ${sender}> ${line.text}`),
      say: (event: ClientEvent) => said.get(name)!.push(describe(event).text),
      retryMs: 20,
    });
    clients.set(name, rooms);
  }
  try {
    const alpha = clients.get("Soldier_Alpha")!;
    assertEquals(await alpha.join({ room: "squad1", expected: 3 }), true);
    assertEquals(
      await clients.get("Soldier_Bravo")!.join({ room: "squad1" }),
      true,
    );
    assertEquals(
      await clients.get("Soldier_Charlie")!.join({ room: "squad1" }),
      true,
    );
    // Everyone converges on the KMS's epoch (each join moved it on).
    for (const rooms of clients.values()) await rooms.refresh();
    await waitUntil(
      () =>
        [...clients.values()].every((rooms) =>
          rooms.status("squad1")?.epoch === 3 &&
          rooms.status("squad1")?.keyReady === true
        ),
      "everyone at epoch 3",
    );
    alpha.queue("squad1", { kind: "msg", text: "Move out" });
    await waitUntil(
      () => said.get("Soldier_Alpha")!.some((line) => line.startsWith("✓✓")),
      "all confirmed",
    );
    assertEquals(shown.get("Soldier_Bravo"), [
      "[squad1] Soldier_Alpha> Move out",
    ]);
    assertEquals(shown.get("Soldier_Charlie"), [
      "[squad1] Soldier_Alpha> Move out",
    ]);
    const alphaSaid = said.get("Soldier_Alpha")!;
    assertEquals(
      alphaSaid.filter((line) => line.includes("Move out")),
      [
        '✓ [squad1] relay accepted (2 members): "Move out"',
        '✓✓ [squad1] all 2 confirmed: "Move out"',
      ],
    );
    // Leaving: the others move to a new epoch without the leaver.
    assertEquals(await clients.get("Soldier_Charlie")!.leave("squad1"), true);
    await alpha.refresh();
    assertEquals(alpha.get("squad1")?.state.members, [
      "Soldier_Alpha",
      "Soldier_Bravo",
    ]);
    assertEquals(
      alphaSaid.includes(
        "↻ Room squad1 is at epoch 4 (Soldier_Charlie left): re-keying.",
      ),
      true,
    );
    // Leaving a room one is not in: the KMS's sentence.
    assertEquals(await clients.get("Soldier_Charlie")!.leave("squad1"), false);
    assertEquals(
      said.get("Soldier_Charlie")!.at(-1),
      "⚠ Soldier_Charlie is not a member of room squad1",
    );
  } finally {
    for (const rooms of clients.values()) rooms.suspend();
  }
});

Deno.test("a full room is refused with the KMS's sentence", async () => {
  await using kms = startFakeRoomKms();
  const said: string[] = [];
  const make = (name: string) =>
    new Rooms({
      deviceId: name,
      kms: httpRoomKms(kms.url, { deviceId: name }),
      outbox: new Outbox(),
      inbox: new Inbox(),
      send: () => true,
      protocol: plainProtocol(name),
      canSend: () => true,
      canKey: () => true,
      show: () => {},
      say: (event) => said.push(describe(event).text),
      retryMs: 20,
    });
  await make("Soldier_Alpha").join({ room: "pair", expected: 2 });
  await make("Soldier_Bravo").join({ room: "pair" });
  assertEquals(await make("Soldier_Charlie").join({ room: "pair" }), false);
  assertEquals(
    said.at(-1),
    "✗ Cannot join room pair: room pair is full: 2 of 2 members",
  );
});

Deno.test("a room line kept from the last run goes out once the room is keyed again", async () => {
  await using kms = startFakeRoomKms();
  const sent: string[] = [];
  const outbox = new Outbox();
  // What chat.bin gave back at start: a line to the room, unconfirmed.
  outbox.restore([{
    mid: "m-kept",
    peer: "#squad1",
    text: "kept from last run",
    writtenAt: 1,
    n: 1,
  }], { "#squad1": 1 });
  const make = (name: string, out: Outbox) =>
    new Rooms({
      deviceId: name,
      kms: httpRoomKms(kms.url, { deviceId: name }),
      outbox: out,
      inbox: new Inbox(),
      send: (frame) => {
        if (name === "Soldier_Alpha" && frame.type === "room_chat") {
          sent.push((frame as PlainFrame).kind);
        }
        return true;
      },
      protocol: plainProtocol(name),
      canSend: () => true,
      canKey: () => true,
      show: () => {},
      say: () => {},
      retryMs: 20,
    });
  await make("Soldier_Bravo", new Outbox()).join({
    room: "squad1",
    expected: 2,
  });
  const alpha = make("Soldier_Alpha", outbox);
  await alpha.join({ room: "squad1" });
  await waitUntil(() => sent.includes("msg"), "the kept line sent");
  assertEquals(sent.filter((kind) => kind === "msg").length, 1);
  assertEquals(outbox.size("#squad1"), 1, "kept until Bravo's receipt");
  alpha.suspend();
});

Deno.test("a frame the engine cannot take (a pin that cannot be saved) is told, and the client goes on", async () => {
  await using kms = startFakeRoomKms();
  const said: string[] = [];
  const failing = (hooks: ProtocolHooks): RoomProtocol => ({
    ...plainProtocol("Soldier_Alpha")(hooks),
    receive: () =>
      Promise.reject(new Error("pins.json: No space left on device")),
  });
  const rooms = new Rooms({
    deviceId: "Soldier_Alpha",
    kms: httpRoomKms(kms.url, { deviceId: "Soldier_Alpha" }),
    outbox: new Outbox(),
    inbox: new Inbox(),
    send: () => true,
    protocol: failing,
    canSend: () => true,
    canKey: () => true,
    show: () => {},
    say: (event) => said.push(describe(event).text),
  });
  await rooms.take({ type: "room_chat", room: "squad1" });
  assertEquals(said, ["⚠ Error: pins.json: No space left on device"]);
});
