import { assertEquals } from "@std/assert";
import { readEnvelope } from "./envelope.ts";
import type { ErrorCode } from "./types.ts";

function assertRefused(text: string, code: ErrorCode): void {
  const result = readEnvelope(text);
  assertEquals(result.ok, false, text);
  if (!result.ok) {
    assertEquals(result.error.type, "error");
    assertEquals(result.error.code, code, text);
    assertEquals(typeof result.error.message, "string");
  }
}

const chat = {
  type: "chat",
  sender: "Soldier_Alpha",
  recipient: "Soldier_Bravo",
  nonce: "00".repeat(12),
  ciphertext: "00".repeat(16),
  timestamp: 1700000000,
  id: "m-1",
  key_id: "k-1",
  seq: 0,
};

Deno.test("readEnvelope() returns only the routing fields of a chat frame", () => {
  assertEquals(readEnvelope(JSON.stringify(chat)), {
    ok: true,
    envelope: {
      type: "chat",
      sender: "Soldier_Alpha",
      recipient: "Soldier_Bravo",
      id: "m-1",
    },
  });
  assertEquals(
    readEnvelope(JSON.stringify({ ...chat, recipient: "*", id: undefined })),
    {
      ok: true,
      envelope: { type: "chat", sender: "Soldier_Alpha", recipient: "*" },
    },
  );
});

Deno.test("readEnvelope() reads older chat and register frames", () => {
  const legacyChat = {
    from: "alice",
    to: "bob",
    ciphertext: "00",
    nonce: "00",
    tag: "00",
    session_id: "s",
  };
  assertEquals(readEnvelope(JSON.stringify(legacyChat)), {
    ok: true,
    envelope: { type: "chat", sender: "alice", recipient: "bob" },
  });
  assertEquals(readEnvelope('{"from":"alice"}'), {
    ok: true,
    envelope: { type: "register", sender: "alice" },
  });
  assertEquals(readEnvelope('{"type":"register","device_id":"alice"}'), {
    ok: true,
    envelope: { type: "register", sender: "alice" },
  });
  assertEquals(readEnvelope('{"type":"ping","id":"p-1"}'), {
    ok: true,
    envelope: { type: "ping", id: "p-1" },
  });
  assertEquals(readEnvelope('{"type":"chat","from":"a","to":"b"}'), {
    ok: true,
    envelope: { type: "chat", sender: "a", recipient: "b" },
  });
});

Deno.test("readEnvelope() refuses frames it cannot route", () => {
  const frame = (fields: Record<string, unknown>) =>
    JSON.stringify({ ...chat, ...fields });
  const cases: [string, ErrorCode][] = [
    ["", "bad_json"],
    ["{", "bad_json"],
    ["null", "bad_json"],
    ["[]", "bad_json"],
    ['"chat"', "bad_json"],
    ["42", "bad_json"],
    ["{}", "missing_field"],
    ['{"type":null,"from":"a"}', "bad_field"],
    [frame({ type: 7 }), "bad_field"],
    [frame({ type: "presence" }), "unknown_type"],
    [frame({ type: "error" }), "unknown_type"],
    [frame({ sender: undefined }), "missing_field"],
    [frame({ recipient: undefined }), "missing_field"],
    [frame({ from: "Soldier_Alpha" }), "bad_field"],
    [frame({ to: "Soldier_Charlie" }), "bad_field"],
    [frame({ sender: "*" }), "bad_field"],
    [frame({ sender: 5 }), "bad_field"],
    [frame({ recipient: "a b" }), "bad_field"],
    [frame({ recipient: ["b"] }), "bad_field"],
    [frame({ id: 5 }), "bad_field"],
    [frame({ id: "" }), "bad_field"],
    [frame({ id: "i".repeat(129) }), "bad_field"],
    ['{"type":"register"}', "missing_field"],
    ['{"type":"ping"}', "missing_field"],
    ['{"type":"ping","id":7}', "bad_field"],
    ['{"type":"register","device_id":"*"}', "bad_field"],
    ['{"type":"register","device_id":"a","from":"b"}', "bad_field"],
  ];
  for (const [text, code] of cases) assertRefused(text, code);
});
