import { assertEquals } from "@std/assert";
import { KEM_CIPHERTEXT_LENGTH, WRAPPED_KEY_LENGTH } from "./key_wrap.ts";
import {
  readRoomKey,
  readRoomLeave,
  readRoomList,
  readRoomState,
  type RoomKeyResponse,
  type RoomState,
} from "./room_api.ts";

const STATE: RoomState = {
  room: "squad1",
  epoch: 3,
  leader: "Soldier_Alpha",
  expected: 4,
  members: ["Soldier_Alpha", "Soldier_Bravo"],
  ready: false,
  membership: "payload.signature",
};

const KEY: RoomKeyResponse = {
  room: "squad1",
  epoch: 3,
  key_id: "squad1/3/0b0f4a8e-4f0e-4c47-9d1c-3c1e8e1f2a3b",
  kem_ciphertext: new Uint8Array(KEM_CIPHERTEXT_LENGTH).toBase64(),
  wrapped_key: new Uint8Array(WRAPPED_KEY_LENGTH).toBase64(),
  qber: 0.02,
  status: "GREEN",
};

const MALFORMED = { ok: false, reason: "malformed" };

Deno.test("room states read field for field; a wrong field is malformed", () => {
  assertEquals(readRoomState({ ...STATE, extra: "dropped" }), {
    ok: true,
    state: STATE,
  });
  const broken: Record<string, unknown>[] = [
    { ...STATE, room: "bad room" },
    { ...STATE, epoch: -1 },
    { ...STATE, leader: 5 },
    { ...STATE, expected: 1 },
    { ...STATE, members: ["A", "A"] },
    { ...STATE, members: Array.from({ length: 17 }, (_, i) => `M${i}`) },
    { ...STATE, ready: "yes" },
    { ...STATE, membership: "x".repeat(3000) },
  ];
  for (const body of broken) {
    assertEquals(
      readRoomState(body),
      MALFORMED,
      JSON.stringify(body).slice(0, 60),
    );
  }
  for (const field of Object.keys(STATE)) {
    const missing: Record<string, unknown> = { ...STATE };
    delete missing[field];
    assertEquals(readRoomState(missing), MALFORMED, `without ${field}`);
  }
  assertEquals(readRoomState(null), MALFORMED);
  assertEquals(readRoomState([STATE]), MALFORMED);
});

Deno.test("a leave answer adds terminated; a list holds states", () => {
  const gone = { ...STATE, members: [], terminated: true };
  assertEquals(readRoomLeave(gone), { ok: true, state: gone });
  assertEquals(readRoomLeave(STATE), MALFORMED);
  assertEquals(readRoomList({ rooms: [STATE, STATE] }), {
    ok: true,
    rooms: [STATE, STATE],
  });
  assertEquals(readRoomList({ rooms: [] }), { ok: true, rooms: [] });
  assertEquals(readRoomList({ rooms: [{ ...STATE, epoch: "3" }] }), MALFORMED);
  assertEquals(readRoomList({}), MALFORMED);
});

Deno.test("a room key answer: the wrapped key, the link's refusals by their sentence, or malformed", () => {
  assertEquals(readRoomKey(KEY), { ok: true, key: KEY });
  assertEquals(
    readRoomKey({
      error: "key_pool_empty",
      message: "key pool empty: 0 bits pooled, 256 needed",
      qber: 0.02,
      status: "GREEN",
      pool_bits: 0,
      key_rate_bps: 0,
    }),
    {
      ok: false,
      reason: "link_refused",
      message: "key pool empty: 0 bits pooled, 256 needed",
      status: "GREEN",
    },
  );
  const broken: Record<string, unknown>[] = [
    { ...KEY, status: "RED" },
    { ...KEY, qber: 2 },
    { ...KEY, key_id: "" },
    { ...KEY, kem_ciphertext: "AAAA" },
    { ...KEY, wrapped_key: "not base64!" },
    { ...KEY, epoch: 1.5 },
    { ...KEY, room: "" },
    { error: "x", status: "PURPLE" },
  ];
  for (const body of broken) {
    assertEquals(
      readRoomKey(body),
      MALFORMED,
      JSON.stringify(body).slice(0, 60),
    );
  }
});
