import { assertEquals } from "@std/assert";
import { readEnvelope } from "./envelope.ts";
import {
  MAX_WATCH_DEVICES,
  readForwardedRoomChat,
  readRoomPresence,
  readRoomRouting,
  readWatchList,
} from "./room_frames.ts";
import { MAX_MEMBERSHIP_LENGTH } from "./room.ts";
import { parseServerFrame, type ServerFrame } from "./server_frame.ts";

const roomChat = {
  type: "room_chat",
  sender: "Soldier_Alpha",
  room: "squad1",
  epoch: 4,
  kind: "msg",
  id: "m-1",
  nonce: "00".repeat(12),
  ciphertext: "00".repeat(16),
  timestamp: 1700000000,
  seq: 0,
  signature: "sig",
};

Deno.test("readEnvelope() returns only the routing fields of room frames", () => {
  const routing = {
    type: "room_chat",
    sender: "Soldier_Alpha",
    room: "squad1",
    id: "m-1",
  } as const;
  assertEquals(readEnvelope(JSON.stringify(roomChat)), {
    ok: true,
    envelope: routing,
  });
  assertEquals(
    readEnvelope(JSON.stringify({ ...roomChat, kind: "key", to: "Bravo" })),
    { ok: true, envelope: { ...routing, to: "Bravo" } },
  );
  for (const type of ["room_join", "room_leave"] as const) {
    assertEquals(
      readEnvelope(JSON.stringify({ type, room: "squad1", membership: "a.b" })),
      { ok: true, envelope: { type, room: "squad1", membership: "a.b" } },
    );
  }
  assertEquals(
    readEnvelope('{"type":"watch","devices":["Bravo","Charlie","Bravo"]}'),
    { ok: true, envelope: { type: "watch", devices: ["Bravo", "Charlie"] } },
  );
});

Deno.test("room frames with bad fields are refused with a clear code and message", () => {
  const cases: [Record<string, unknown>, string, string][] = [
    [
      { ...roomChat, room: "x".repeat(33) },
      "room_refused",
      "room name is 33 characters; at most 32",
    ],
    [
      { ...roomChat, room: "a b" },
      "room_refused",
      "room name may hold only letters, digits, _ . -",
    ],
    [{ ...roomChat, room: undefined }, "missing_field", "room is required"],
    [{ ...roomChat, sender: undefined }, "missing_field", "sender is required"],
    [{ ...roomChat, sender: "*" }, "bad_field", "sender must be a device id"],
    [{ ...roomChat, id: undefined }, "missing_field", "id is required"],
    [{ ...roomChat, id: "" }, "bad_field", "id must be 1 to 128 characters"],
    [{ ...roomChat, to: 7 }, "bad_field", "to must be a device id"],
    [
      { type: "room_join", room: "squad1" },
      "missing_field",
      "membership is required",
    ],
    [
      {
        type: "room_leave",
        room: "squad1",
        membership: "x".repeat(MAX_MEMBERSHIP_LENGTH + 1),
      },
      "room_refused",
      "membership must be the KMS's signed membership text (at most 2600 characters)",
    ],
    [
      { type: "room_join", room: "squad1", membership: 3 },
      "room_refused",
      "membership must be the KMS's signed membership text (at most 2600 characters)",
    ],
    [
      {
        type: "watch",
        devices: Array.from(
          { length: MAX_WATCH_DEVICES + 1 },
          (_, i) => `d${i}`,
        ),
      },
      "bad_field",
      "devices must be a list of at most 32 device ids",
    ],
    [
      { type: "watch", devices: ["ok", "not ok"] },
      "bad_field",
      "devices must be a list of at most 32 device ids",
    ],
  ];
  for (const [frame, code, message] of cases) {
    assertEquals(readEnvelope(JSON.stringify(frame)), {
      ok: false,
      error: { type: "error", code, message },
    } as ReturnType<typeof readEnvelope>, JSON.stringify(frame));
  }
  assertEquals(readRoomRouting({ type: "room_talk", room: "squad1" }), {
    ok: false,
    code: "unknown_type",
    message: "unknown frame type",
  });
});

Deno.test("a watch list of exactly the most devices is accepted", () => {
  const devices = Array.from({ length: MAX_WATCH_DEVICES }, (_, i) => `d${i}`);
  assertEquals(readWatchList(devices), { ok: true, devices });
  assertEquals(readWatchList([]), { ok: true, devices: [] });
});

Deno.test("room_presence and forwarded room_chat frames read back as themselves", () => {
  const frames: ServerFrame[] = [
    {
      type: "room_presence",
      room: "squad1",
      epoch: 3,
      membership: "m.s",
      online: ["Soldier_Alpha", "Soldier_Bravo"],
    },
    { ...roomChat, type: "room_chat" },
    { ...roomChat, type: "room_chat", to: "Soldier_Bravo", kind: "key" },
    {
      type: "ack",
      id: "m-4",
      status: "queued",
      reason: "offline",
      delivered: 2,
      queued: 1,
      dropped: 0,
    },
    { type: "error", code: "room_refused", message: "not a member" },
  ];
  for (const frame of frames) {
    assertEquals(parseServerFrame(JSON.stringify(frame)), { ok: true, frame });
  }
});

Deno.test("malformed room frames from the relay are refused with their type", () => {
  const presence = {
    type: "room_presence",
    room: "squad1",
    epoch: 3,
    membership: "m.s",
    online: [],
  };
  const refused: [unknown, string, string][] = [
    [
      { ...presence, room: "" },
      "room_presence: room name must be a non-empty string",
      "room_presence",
    ],
    [
      { ...presence, epoch: 1.5 },
      "room_presence: epoch must be a count",
      "room_presence",
    ],
    [
      { ...presence, membership: null },
      "room_presence: membership must be a string",
      "room_presence",
    ],
    [
      { ...presence, online: ["*"] },
      "room_presence: online must be a list of device ids",
      "room_presence",
    ],
    [
      { ...roomChat, sender: 1 },
      "room_chat: sender must be a device id",
      "room_chat",
    ],
    [
      { type: "ack", id: "m", status: "queued", queued: -1 },
      "ack: queued must be a count",
      "ack",
    ],
  ];
  for (const [frame, reason, type] of refused) {
    assertEquals(parseServerFrame(JSON.stringify(frame)), {
      ok: false,
      reason,
      type,
    } as ReturnType<typeof parseServerFrame>);
  }
  assertEquals(
    readRoomPresence({ ...presence, online: "x" }),
    "online must be a list of device ids",
  );
  assertEquals(
    readForwardedRoomChat({ ...roomChat, id: 5 }),
    "id must be 1 to 128 characters",
  );
});
