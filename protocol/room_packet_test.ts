import { assertEquals, assertNotEquals, assertRejects } from "@std/assert";
import { generateKemKeyPair } from "./key_wrap.ts";
import {
  parseRoomFrame,
  type RoomChatFrame,
  roomFrameAssociatedData,
  sealRoomFrame,
  verifyRoomFrame,
} from "./room_packet.ts";
import { openKey, openMessage, sealKey, sealMessage } from "./room_seal.ts";
import { ReceiverChain, SenderChain } from "./sender_key.ts";
import { NOW, testMembers } from "./_test_room_members.ts";

const { members } = await testMembers(["Soldier_Alpha", "Soldier_Bravo"]);
const [alpha, bravo] = members;
const roomKey = crypto.getRandomValues(new Uint8Array(32));
const context = { room: "squad1", epoch: 2, sender: alpha.id, roomKey };
const header = {
  type: "room_chat" as const,
  sender: alpha.id,
  room: "squad1",
  epoch: 2,
  kind: "msg" as const,
  id: "m-1",
  timestamp: NOW,
  seq: 0,
};

async function sample(): Promise<RoomChatFrame> {
  return await sealRoomFrame(alpha.identity, header, {
    key: new Uint8Array(32),
    plaintext: new Uint8Array(5),
  });
}

function reason(value: unknown): string {
  const read = parseRoomFrame(value);
  return read.ok ? "ok" : read.message;
}

function flip(text: string, bit = 0): string {
  const bytes = Uint8Array.fromBase64(text, { alphabet: "base64url" });
  bytes[bit >>> 3] ^= 1 << (bit & 7);
  return bytes.toBase64({ alphabet: "base64url", omitPadding: true });
}

Deno.test("parseRoomFrame() keeps the frame's fields only", async () => {
  const frame = await sample();
  assertEquals(parseRoomFrame({ ...frame, extra: "dropped" }), {
    ok: true,
    frame,
  });
});

Deno.test("parseRoomFrame() names the first bad field", async () => {
  const frame = await sample();
  const cases: [Record<string, unknown>, string][] = [
    [{ type: "chat" }, 'type must be "room_chat"'],
    [{ sender: "two words" }, "sender must be a device id"],
    [{ room: "a".repeat(33) }, "room name is 33 characters; at most 32"],
    [
      { room: "a\u0007b" },
      "room name has a control character; use letters, digits, _ . -",
    ],
    [{ epoch: -1 }, "epoch must be a non-negative safe integer"],
    [{ epoch: 1.5 }, "epoch must be a non-negative safe integer"],
    [{ kind: "voice" }, 'kind must be "hello", "key" or "msg"'],
    [{ id: "" }, "id must be 1 to 128 characters"],
    [{ id: "x".repeat(129) }, "id must be 1 to 128 characters"],
    [{ to: alpha.id }, "to must be the device id of another member"],
    [{ to: "*" }, "to must be the device id of another member"],
    [{ timestamp: "now" }, "timestamp must be a non-negative finite number"],
    [{ seq: -1 }, "seq must be a non-negative safe integer"],
    [{ nonce: "AAAA" }, "nonce must be 12 bytes"],
    [{ nonce: frame.nonce + "=" }, "nonce must be 12 bytes"],
    [{ nonce: ` ${frame.nonce.slice(1)}` }, "nonce must be 12 bytes"],
    [{ ciphertext: "" }, "ciphertext of a msg must be 16 to 40976 bytes"],
    [
      { ciphertext: "A".repeat(54_636) },
      "ciphertext of a msg must be 16 to 40976 bytes",
    ],
    [{ signature: frame.signature.slice(2) }, "signature must be 64 bytes"],
    // The last character's low bits are not zero: a second spelling.
    [
      { signature: frame.signature.slice(0, -1) + "B" },
      "signature must be 64 bytes",
    ],
  ];
  for (const [change, message] of cases) {
    assertEquals(
      reason({ ...frame, ...change }),
      `malformed room frame: ${message}`,
    );
  }
  assertEquals(
    reason(null),
    "malformed room frame: a frame must be a JSON object",
  );
  assertEquals(
    reason([frame]),
    "malformed room frame: a frame must be a JSON object",
  );
});

Deno.test("parseRoomFrame() holds each kind to its routing and sizes", async () => {
  const frame = await sample();
  const kinds: [Record<string, unknown>, string][] = [
    [{ kind: "hello", to: bravo.id }, "a hello goes to everyone"],
    [{ kind: "key" }, "a key frame needs to"],
    [{ kind: "key", to: bravo.id, seq: 1 }, "seq of a key must be 0"],
    [{ kind: "hello", seq: 3 }, "seq of a hello must be 0"],
    [{ kind: "hello" }, "ciphertext of a hello must be 1201 to 2224 bytes"],
    [
      { kind: "key", to: bravo.id },
      "ciphertext of a key must be 1136 to 1136 bytes",
    ],
  ];
  for (const [change, message] of kinds) {
    assertEquals(
      reason({ ...frame, ...change }),
      `malformed room frame: ${message}`,
    );
  }
});

Deno.test("sealRoomFrame() refuses a header the parser would refuse", async () => {
  await assertRejects(
    () =>
      sealRoomFrame(alpha.identity, { ...header, room: "bad room" }, {
        key: new Uint8Array(32),
        plaintext: new Uint8Array(1),
      }),
    RangeError,
    "room name may hold only letters, digits, _ . -",
  );
});

Deno.test("the associated data tells every header apart", () => {
  const base = roomFrameAssociatedData(header);
  const variants = [
    { ...header, sender: bravo.id },
    { ...header, room: "squad2" },
    { ...header, epoch: 3 },
    { ...header, kind: "hello" as const },
    { ...header, id: "m-2" },
    { ...header, to: bravo.id },
    { ...header, timestamp: NOW + 1 },
    { ...header, seq: 1 },
  ];
  for (const variant of variants) {
    assertNotEquals(roomFrameAssociatedData(variant), base);
  }
  assertEquals(roomFrameAssociatedData({ ...header, to: undefined }), base);
});

Deno.test("changing any field of a message makes it unreadable", async () => {
  const own = SenderChain.create(context);
  const chain = new ReceiverChain(own.startKey(), context);
  const frame = await sealMessage(alpha.identity, {
    ...context,
    id: "m-1",
    timestamp: NOW,
    to: bravo.id,
    messageKey: own.next(),
    content: new TextEncoder().encode("Hold position"),
  });
  const changes: Record<string, unknown>[] = [
    { sender: bravo.id },
    { room: "squad2" },
    { epoch: 3 },
    { kind: "key" },
    { id: "m-2" },
    { to: "Soldier_Charlie" },
    { to: undefined },
    { nonce: flip(frame.nonce) },
    { ciphertext: flip(frame.ciphertext) },
    { ciphertext: flip(frame.ciphertext, 100) },
    { timestamp: NOW + 1 },
    { seq: 1 },
    { signature: flip(frame.signature) },
    { signature: flip(frame.signature, 511) },
  ];
  for (const change of changes) {
    const read = parseRoomFrame({ ...frame, ...change });
    if (!read.ok) continue;
    const opened = await openMessage(read.frame, {
      identityKey: alpha.identity.publicKey,
      chain,
    });
    assertEquals(opened.ok, false, JSON.stringify(change));
  }
  const genuine = await openMessage(frame, {
    identityKey: alpha.identity.publicKey,
    chain,
  });
  assertEquals(genuine.ok, true);
});

Deno.test("changing any field of a key frame makes it unreadable", async () => {
  const kem = generateKemKeyPair();
  const chainKey = crypto.getRandomValues(new Uint8Array(32));
  const frame = await sealKey(alpha.identity, {
    ...context,
    timestamp: NOW,
    to: bravo.id,
    recipientKemKey: kem.publicKey,
    chainKey,
  });
  const options = {
    recipient: bravo.id,
    identityKey: alpha.identity.publicKey,
    roomKey,
    kemSecretKey: kem.secretKey,
  };
  for (
    const change of [
      { epoch: 3 },
      { nonce: flip(frame.nonce) },
      { ciphertext: flip(frame.ciphertext) },
      { ciphertext: flip(frame.ciphertext, 1088 * 8 + 3) },
      { signature: flip(frame.signature) },
    ]
  ) {
    const read = parseRoomFrame({ ...frame, ...change });
    if (!read.ok) throw new Error(read.message);
    assertEquals((await openKey(read.frame, options)).ok, false);
  }
  assertEquals(await openKey(frame, options), { ok: true, chainKey });
});

Deno.test("verifyRoomFrame() checks the signer", async () => {
  const frame = await sample();
  assertEquals(await verifyRoomFrame(frame, alpha.identity.publicKey), true);
  assertEquals(await verifyRoomFrame(frame, bravo.identity.publicKey), false);
  const moved = { ...frame, id: "m-9" };
  assertEquals(await verifyRoomFrame(moved, alpha.identity.publicKey), false);
});
