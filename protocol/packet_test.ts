import {
  assert,
  assertEquals,
  assertMatch,
  assertNotEquals,
  assertRejects,
  assertThrows,
} from "@std/assert";
import {
  decryptPacket,
  encryptPacket,
  type EncryptPacketOptions,
  importPacketKey,
  PacketError,
  type PacketErrorCode,
  parseChatPacket,
} from "./packet.ts";
import { ReplayGuard } from "./replay_guard.ts";
import type { ChatPacket } from "./types.ts";

const decoder = new TextDecoder();

async function newKey(): Promise<CryptoKey> {
  return await importPacketKey(crypto.getRandomValues(new Uint8Array(32)));
}

async function newPacket(
  key: CryptoKey,
  options: Partial<EncryptPacketOptions> = {},
): Promise<ChatPacket> {
  return await encryptPacket(key, "Hold position", {
    sender: "Soldier_Alpha",
    recipient: "Soldier_Bravo",
    keyId: "k-1",
    seq: 7,
    ...options,
  });
}

// What a receiver gets off the wire.
function overWire(packet: ChatPacket): unknown {
  return JSON.parse(JSON.stringify(packet));
}

async function assertRefused(
  decrypt: () => Promise<unknown>,
  code: PacketErrorCode,
): Promise<void> {
  const error = await assertRejects(decrypt, PacketError);
  assertEquals(error.code, code);
}

function flipBit(hex: string, bit: number): string {
  const bytes = Uint8Array.fromHex(hex);
  bytes[bit >>> 3] ^= 1 << (bit & 7);
  return bytes.toHex();
}

// Bit 5 toggles a letter's case, so device ids stay well-formed.
function flipLastCharBit(text: string): string {
  return text.slice(0, -1) +
    String.fromCharCode(text.charCodeAt(text.length - 1) ^ 0x20);
}

Deno.test("encryptPacket() output decrypts after a JSON round trip", async () => {
  const key = await newKey();
  const before = Math.floor(Date.now() / 1000);
  const packet = await newPacket(key);
  const after = Math.floor(Date.now() / 1000);

  assertEquals(packet.type, "chat");
  assertEquals(packet.sender, "Soldier_Alpha");
  assertEquals(packet.recipient, "Soldier_Bravo");
  assertEquals(packet.key_id, "k-1");
  assertEquals(packet.seq, 7);
  assertMatch(packet.nonce, /^[0-9a-f]{24}$/);
  assertEquals(packet.ciphertext.length, ("Hold position".length + 16) * 2);
  assertMatch(packet.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-/);
  assert(packet.timestamp >= before && packet.timestamp <= after);
  assertEquals(parseChatPacket(overWire(packet)), packet);

  const plaintext = await decryptPacket(key, overWire(packet));
  assertEquals(decoder.decode(plaintext), "Hold position");
});

Deno.test("encryptPacket() round trips bytes, broadcast and given fields", async () => {
  const key = await newKey();
  for (const bytes of [new Uint8Array(0), new Uint8Array([0, 255, 10])]) {
    const packet = await encryptPacket(key, bytes, {
      sender: "a",
      recipient: "*",
      keyId: "k",
      seq: 0,
      timestamp: 1700000000.5,
      id: "message-1",
    });
    assertEquals(packet.recipient, "*");
    assertEquals(packet.timestamp, 1700000000.5);
    assertEquals(packet.id, "message-1");
    assertEquals(await decryptPacket(key, overWire(packet)), bytes);
  }
});

Deno.test("encryptPacket() uses a fresh nonce and id each time", async () => {
  const key = await newKey();
  const first = await newPacket(key);
  const second = await newPacket(key);
  assertNotEquals(first.nonce, second.nonce);
  assertNotEquals(first.ciphertext, second.ciphertext);
  assertNotEquals(first.id, second.id);
});

Deno.test("encryptPacket() refuses options that make an invalid packet", async () => {
  const key = await newKey();
  const bad: Partial<EncryptPacketOptions>[] = [
    { sender: "*" },
    { sender: "no spaces" },
    { recipient: "" },
    { keyId: "" },
    { seq: -1 },
    { seq: 0.5 },
    { timestamp: NaN },
    { id: "" },
  ];
  for (const options of bad) {
    await assertRefused(() => newPacket(key, options), "malformed");
  }
});

Deno.test("decryptPacket() refuses every flipped nonce and ciphertext bit", async () => {
  const key = await newKey();
  const packet = await encryptPacket(key, "hi", {
    sender: "a",
    recipient: "b",
    keyId: "k",
    seq: 1,
  });
  for (const field of ["nonce", "ciphertext"] as const) {
    for (let bit = 0; bit < packet[field].length * 4; bit++) {
      const tampered = { ...packet, [field]: flipBit(packet[field], bit) };
      await assertRefused(() => decryptPacket(key, tampered), "auth_failed");
    }
  }
});

Deno.test("decryptPacket() refuses a flipped bit in each authenticated field", async () => {
  const key = await newKey();
  const packet = await newPacket(key);
  const tampered: ChatPacket[] = [
    { ...packet, sender: flipLastCharBit(packet.sender) },
    { ...packet, recipient: flipLastCharBit(packet.recipient) },
    { ...packet, key_id: flipLastCharBit(packet.key_id) },
    { ...packet, id: flipLastCharBit(packet.id) },
    { ...packet, seq: packet.seq ^ 1 },
    { ...packet, timestamp: packet.timestamp ^ 1 },
  ];
  for (const candidate of tampered) {
    // Still well-formed, so only authentication can catch it.
    parseChatPacket(candidate);
    await assertRefused(() => decryptPacket(key, candidate), "auth_failed");
  }
  await assertRefused(
    () => decryptPacket(key, { ...packet, type: "chaT" }),
    "malformed",
  );
});

Deno.test("decryptPacket() refuses a re-addressed packet", async () => {
  const key = await newKey();
  const packet = await newPacket(key);
  const readdressed: ChatPacket[] = [
    { ...packet, recipient: "Soldier_Charlie" },
    { ...packet, recipient: "*" },
    { ...packet, sender: packet.recipient, recipient: packet.sender },
  ];
  for (const candidate of readdressed) {
    await assertRefused(() => decryptPacket(key, candidate), "auth_failed");
  }
});

Deno.test("decryptPacket() refuses a wrong key", async () => {
  const packet = await newPacket(await newKey());
  const wrongKey = await newKey();
  await assertRefused(() => decryptPacket(wrongKey, packet), "auth_failed");
});

Deno.test("decryptPacket() with a ReplayGuard refuses a replay", async () => {
  const key = await newKey();
  const replayGuard = new ReplayGuard();
  const packet = await newPacket(key, { seq: 8 });
  const earlier = await newPacket(key, { seq: 7 });

  await decryptPacket(key, overWire(packet), { replayGuard });
  await assertRefused(
    () => decryptPacket(key, overWire(packet), { replayGuard }),
    "replay",
  );
  // Reordered but within the window: accepted once.
  await decryptPacket(key, earlier, { replayGuard });
  await assertRefused(
    () => decryptPacket(key, earlier, { replayGuard }),
    "replay",
  );
});

Deno.test("decryptPacket() records only authenticated packets", async () => {
  const key = await newKey();
  const replayGuard = new ReplayGuard();
  const genuine = await newPacket(key, { seq: 3 });
  const forged = { ...genuine, ciphertext: flipBit(genuine.ciphertext, 0) };
  await assertRefused(
    () => decryptPacket(key, forged, { replayGuard }),
    "auth_failed",
  );
  assertEquals(
    decoder.decode(await decryptPacket(key, genuine, { replayGuard })),
    "Hold position",
  );
});

Deno.test("parseChatPacket() refuses malformed packets with PacketError", async () => {
  const packet = overWire(await newPacket(await newKey())) as ChatPacket;
  const withField = (field: string, value: unknown) => ({
    ...packet,
    [field]: value,
  });
  const missing = Object.keys(packet).map((field) => {
    const copy: Record<string, unknown> = { ...packet };
    delete copy[field];
    return copy;
  });
  const malformed: unknown[] = [
    null,
    undefined,
    42,
    true,
    "chat",
    JSON.stringify(packet),
    [],
    [packet],
    {},
    ...missing,
    withField("type", "message"),
    withField("sender", 1),
    withField("sender", ""),
    withField("sender", "*"),
    withField("sender", "Soldier Alpha"),
    withField("sender", "a".repeat(65)),
    withField("sender", "Söldner"),
    withField("recipient", null),
    withField("recipient", "a/b"),
    withField("recipient", "**"),
    withField("nonce", 123),
    withField("nonce", "zz".repeat(12)),
    withField("nonce", packet.nonce.toUpperCase()),
    withField("nonce", packet.nonce.slice(2)),
    withField("nonce", packet.nonce + "00"),
    withField("ciphertext", []),
    withField("ciphertext", packet.ciphertext.slice(1)),
    withField("ciphertext", packet.ciphertext + "0"),
    withField("ciphertext", "g" + packet.ciphertext.slice(1)),
    withField("ciphertext", "00".repeat(15)),
    withField("ciphertext", ""),
    withField("timestamp", "1700000000"),
    withField("timestamp", NaN),
    withField("timestamp", Infinity),
    withField("timestamp", -1),
    withField("id", 5),
    withField("id", ""),
    withField("id", "i".repeat(129)),
    withField("key_id", {}),
    withField("key_id", ""),
    withField("key_id", "k".repeat(129)),
    withField("seq", "7"),
    withField("seq", -1),
    withField("seq", 1.5),
    withField("seq", NaN),
    withField("seq", 2 ** 53),
    withField("seq", 1e300),
    withField("seq", Infinity),
    withField("seq", 7n),
  ];
  const key = await newKey();
  for (const value of malformed) {
    const error = assertThrows(() => parseChatPacket(value), PacketError);
    assertEquals(error.code, "malformed");
    await assertRefused(() => decryptPacket(key, value), "malformed");
  }
});

Deno.test("parseChatPacket() accepts boundary values and drops unknown fields", async () => {
  const packet = await newPacket(await newKey());
  const boundary = {
    ...packet,
    sender: "a".repeat(64),
    recipient: "Z.9_-",
    ciphertext: "00".repeat(16),
    id: "i".repeat(128),
    key_id: "k".repeat(128),
    seq: Number.MAX_SAFE_INTEGER,
    timestamp: 0,
  };
  assertEquals(parseChatPacket(boundary), boundary);
  assertEquals(
    parseChatPacket({ ...packet, extra: "unauthenticated" }),
    packet,
  );
});

Deno.test("importPacketKey() rejects keys that are not 32 bytes", async () => {
  await assertRejects(() => importPacketKey(new Uint8Array(16)), RangeError);
  const key = await importPacketKey(new Uint8Array(32));
  assertEquals(key.extractable, false);
});
