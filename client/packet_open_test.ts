import { assertEquals } from "@std/assert";
import {
  encryptPacket,
  importPacketKey,
  ReplayGuard,
} from "../protocol/mod.ts";
import { openPayload } from "./packet_open.ts";
import { encodePayload } from "./payload.ts";

Deno.test("openPayload: tampering, replays and bad payloads are refused", async () => {
  const key = await importPacketKey(crypto.getRandomValues(new Uint8Array(32)));
  const header = { sender: "A", recipient: "B", keyId: "k-1", seq: 0 };
  const replayGuard = new ReplayGuard();
  const good = await encryptPacket(
    key,
    encodePayload({ t: "receipt", mid: "m-1" }),
    header,
  );
  const flipped = good.ciphertext.startsWith("0") ? "1" : "0";
  assertEquals(
    await openPayload(key, {
      ...good,
      ciphertext: flipped + good.ciphertext.slice(1),
    }, { replayGuard }),
    { ok: false, reason: "tampered" },
  );
  assertEquals(await openPayload(key, good, { replayGuard }), {
    ok: true,
    payload: { t: "receipt", mid: "m-1" },
  });
  assertEquals(await openPayload(key, good, { replayGuard }), {
    ok: false,
    reason: "replay",
  });
  const junk = await encryptPacket(key, "not json", { ...header, seq: 1 });
  assertEquals(await openPayload(key, junk, { replayGuard }), {
    ok: false,
    reason: "malformed",
  });
});
