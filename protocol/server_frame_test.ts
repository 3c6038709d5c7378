import { assertEquals } from "@std/assert";
import { encryptPacket, importPacketKey } from "./packet.ts";
import { parseServerFrame, type ServerFrame } from "./server_frame.ts";

const packet = await encryptPacket(
  await importPacketKey(new Uint8Array(32)),
  "Hold position",
  {
    sender: "Soldier_Alpha",
    recipient: "Soldier_Bravo",
    keyId: "k-1+mlkem",
    seq: 3,
  },
);

Deno.test("every frame the relay sends reads back as itself", () => {
  const frames: ServerFrame[] = [
    {
      type: "registered",
      device_id: "Soldier_Alpha",
      online: ["Soldier_Alpha"],
      resume: "r",
    },
    { type: "presence", online: [] },
    { type: "ack", id: "m-1", status: "delivered" },
    { type: "ack", id: "m-2", status: "dropped", reason: "queue_full" },
    { type: "ack", id: "m-3", status: "delivered", delivered: 2, dropped: 1 },
    { type: "pong", id: "ping-1" },
    { type: "error", code: "duplicate_device", message: "already online" },
    packet,
  ];
  for (const frame of frames) {
    assertEquals(parseServerFrame(JSON.stringify(frame)), { ok: true, frame });
  }
});

Deno.test("a chat frame keeps only its authenticated fields", () => {
  assertEquals(
    parseServerFrame(JSON.stringify({ ...packet, extra: "x" })),
    { ok: true, frame: packet },
  );
});

Deno.test("frames that are not the relay's are refused with a reason", () => {
  const refused: [string, { reason: string; type?: string }][] = [
    ["nope", { reason: "not JSON" }],
    ["[1]", { reason: "not a JSON object" }],
    ["null", { reason: "not a JSON object" }],
    ['{"type":"register","device_id":"a"}', { reason: "unknown type" }],
    ['{"from":"a","to":"b"}', { reason: "unknown type" }],
    ['{"type":"toString"}', { reason: "unknown type" }],
    [
      '{"type":"registered","device_id":"a","online":[1],"resume":"r"}',
      {
        reason: "registered: online must be a list of strings",
        type: "registered",
      },
    ],
    [
      '{"type":"registered","device_id":"a","online":[]}',
      { reason: "registered: resume must be a string", type: "registered" },
    ],
    [
      '{"type":"presence","online":"a"}',
      {
        reason: "presence: online must be a list of strings",
        type: "presence",
      },
    ],
    [
      '{"type":"ack","status":"delivered"}',
      { reason: "ack: id must be a short id", type: "ack" },
    ],
    [
      '{"type":"ack","id":"m","status":"queued","reason":"bored"}',
      { reason: "ack: reason is not an ack reason", type: "ack" },
    ],
    [
      '{"type":"ack","id":"m","status":"delivered","delivered":-1}',
      { reason: "ack: delivered and dropped must be counts", type: "ack" },
    ],
    ['{"type":"pong"}', { reason: "pong: id must be a string", type: "pong" }],
    [
      '{"type":"error","code":"teapot","message":"x"}',
      { reason: "error: code is not an error code", type: "error" },
    ],
    [
      '{"type":"error","code":"bad_json"}',
      { reason: "error: message must be a string", type: "error" },
    ],
    [
      JSON.stringify({ ...packet, seq: -1 }),
      {
        reason:
          "chat: malformed packet: seq must be a non-negative safe integer",
        type: "chat",
      },
    ],
  ];
  for (const [text, refusal] of refused) {
    assertEquals(parseServerFrame(text), { ok: false, ...refusal }, text);
  }
});
