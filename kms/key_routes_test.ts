import {
  assert,
  assertEquals,
  assertMatch,
  assertNotEquals,
} from "@std/assert";
import { generateKemKeyPair, unwrapKey } from "../protocol/mod.ts";
import { MEMORY_POOL_BITS, withMemoryKms } from "./_test_memory_kms.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

Deno.test("pair-key API contract: /get_session_key pairs two devices on one key, compact JSON", async () => {
  await withMemoryKms(async (kms) => {
    const a = await kms.post("/get_session_key", {
      device_id: "Soldier_Alpha",
      peer_id: "Soldier_Bravo",
    });
    assertEquals(a.status, 200);
    assertMatch(a.body.key_hex as string, /^[0-9a-f]{64}$/);
    assertMatch(a.body.key_id as string, UUID);
    assertEquals(typeof a.body.qber, "number");
    assert(["GREEN", "YELLOW"].includes(a.body.status as string));
    assert(!a.text.includes(" "), "compact JSON for BusyBox grep");
    const b = await kms.post("/get_session_key", {
      device_id: "Soldier_Bravo",
      peer_id: "Soldier_Alpha",
    });
    assertEquals(b.body.key_hex, a.body.key_hex);
    assertEquals(b.body.key_id, a.body.key_id);
    // Asking again while holding the current key gives a fresh one, which the peer then gets.
    const a2 = await kms.post("/get_session_key", {
      device_id: "Soldier_Alpha",
      peer_id: "Soldier_Bravo",
    });
    assertNotEquals(a2.body.key_id, a.body.key_id);
    const b2 = await kms.post("/get_session_key", {
      device_id: "Soldier_Bravo",
      peer_id: "Soldier_Alpha",
    });
    assertEquals(b2.body.key_hex, a2.body.key_hex);
    // A peer that lags behind a re-key fetches the key a packet names.
    const lagging = await kms.post("/get_session_key", {
      device_id: "Soldier_Bravo",
      peer_id: "Soldier_Alpha",
      key_id: a.body.key_id,
    });
    assertEquals(lagging.body.key_hex, a.body.key_hex);
    const unknown = await kms.post("/get_session_key", {
      device_id: "Soldier_Bravo",
      peer_id: "Soldier_Alpha",
      key_id: crypto.randomUUID(),
    });
    assertEquals(unknown.status, 404);
    // The legacy clients' form.
    const old = await kms.post("/get_session_key", {
      client_id: "Soldier_Bravo",
      peer_id: "Soldier_Alpha",
    });
    assertEquals(old.status, 200);
    assertMatch(old.body.key_hex as string, /^[0-9a-f]{64}$/);
    const link = await kms.get("/link_status");
    assert(link.text.includes('"status":"'));
    assertEquals(link.body.total_keys_issued, 6);
    assertEquals(link.body.attacks_detected, 0);
    assertEquals(typeof link.body.active_sessions, "number");
    assertEquals(
      link.body.history,
      [],
      "key requests run no block: the link runs by itself",
    );
    assertEquals(
      (link.body.link as { pool_bits: number }).pool_bits,
      MEMORY_POOL_BITS - 3 * 256,
      "each of the three fresh keys took 256 bits from the pool",
    );
    assertEquals(link.body.router_last_seen, null);
  }, { args: ["--open"] });
});

Deno.test("without peer_id the next device receives the previous device's key", async () => {
  await withMemoryKms(async (kms) => {
    const a = await kms.post("/get_session_key", {
      device_id: "Soldier_Alpha",
    });
    const b = await kms.post("/get_session_key", {
      device_id: "Soldier_Bravo",
    });
    assertEquals(b.body.key_hex, a.body.key_hex);
    const c = await kms.post("/get_session_key", {
      device_id: "Soldier_Charlie",
    });
    assertNotEquals(c.body.key_hex, a.body.key_hex);
  }, { args: ["--open"] });
});

Deno.test("three acts: GREEN, force_attack turns RED and refuses keys, reset restores GREEN", async () => {
  await withMemoryKms(async (kms) => {
    const act1 = await kms.post("/get_session_key", {
      device_id: "Soldier_Alpha",
      peer_id: "Soldier_Bravo",
    });
    assertEquals(act1.body.status, "GREEN");
    const attack = await kms.post("/force_attack");
    assertEquals(attack.status, 200);
    assertEquals(attack.body.status, "RED");
    assert((attack.body.qber as number) > 0.11);
    // The peer must not receive even the existing key while RED.
    const refused = await kms.post("/get_session_key", {
      device_id: "Soldier_Bravo",
      peer_id: "Soldier_Alpha",
    });
    assertEquals(
      refused.status,
      200,
      "no HTTP error for an attack (legacy contract)",
    );
    assertEquals(refused.body.status, "RED");
    assertEquals(typeof refused.body.error, "string");
    assertEquals(refused.body.key_hex, undefined);
    const link = await kms.get("/link_status");
    assertEquals(link.body.status, "RED");
    assert((link.body.attacks_detected as number) >= 1);
    assertEquals(link.body.attack_mode, true);
    // Attack mode stays on: every run has Eve until reset.
    const still = await kms.post("/get_session_key", {
      device_id: "X",
      peer_id: "Y",
    });
    assertEquals(still.body.status, "RED");
    assert((still.body.qber as number) > 0.11);
    assertEquals(
      (await kms.post("/reset")).text,
      '{"status":"reset_complete"}',
    );
    const after = await kms.get("/link_status");
    assertEquals(after.body.status, "GREEN");
    assertEquals(after.body.history, []);
    assertEquals(after.body.active_sessions, 0);
    // The pool was flushed at RED; the link's next block refills it.
    assertEquals((after.body.link as { pool_bits: number }).pool_bits, 0);
    await kms.source.emit();
    const act3 = await kms.post("/get_session_key", {
      device_id: "Soldier_Alpha",
      peer_id: "Soldier_Bravo",
    });
    assertMatch(act3.body.key_hex as string, /^[0-9a-f]{64}$/);
  }, { args: ["--open"] });
});

Deno.test("activate_eve and deactivate_eve switch the eavesdropper of the next blocks; trigger_attack is force_attack", async () => {
  await withMemoryKms(async (kms) => {
    kms.source.stopWhen = () => true;
    assertEquals((await kms.post("/activate_eve")).body.attack_mode, true);
    let link = await kms.get("/link_status");
    assertEquals(link.body.history, [], "the switch itself runs nothing");
    assertEquals(link.body.attack_mode, true);
    assertEquals(kms.source.eve, { mode: "intercept_resend", rate: 1 });
    await kms.source.emit();
    const run = await kms.post("/get_session_key", {
      device_id: "A",
      peer_id: "B",
    });
    assert((run.body.qber as number) > 0.11, "the next block had Eve");
    assertEquals(run.body.key_hex, undefined);
    assertEquals((await kms.post("/deactivate_eve")).body.attack_mode, false);
    assertEquals(kms.source.eve, { mode: "none" });
    await kms.post("/reset");
    kms.source.stopWhen = () => kms.kms.link.status === "RED";
    assertEquals((await kms.post("/trigger_attack")).body.status, "RED");
    link = await kms.get("/link_status");
    assertEquals(link.body.attack_mode, true);
  }, { args: ["--open"] });
});

Deno.test("session API: create, join by the named peer only, list without keys", async () => {
  await withMemoryKms(async (kms) => {
    const created = await kms.post("/create_session", {
      initiator: "Soldier_Alpha",
      peer: "Soldier_Bravo",
    });
    assertEquals(created.status, 200);
    assertMatch(created.body.session_id as string, UUID);
    assertEquals(created.body.initiator, "Soldier_Alpha");
    assertEquals(created.body.peer, "Soldier_Bravo");
    const joined = await kms.post("/join_session", {
      session_id: created.body.session_id,
      device_id: "Soldier_Bravo",
    });
    assertEquals(joined.status, 200);
    assertEquals(joined.body.key_hex, created.body.key_hex);
    assertEquals(joined.body.session_id, created.body.session_id);
    const stranger = await kms.post("/join_session", {
      session_id: created.body.session_id,
      device_id: "Eve",
    });
    assertEquals(stranger.status, 403);
    assertEquals(typeof stranger.body.message, "string");
    const unknown = await kms.post("/join_session", {
      session_id: crypto.randomUUID(),
      device_id: "Soldier_Bravo",
    });
    assertEquals(unknown.status, 404);
    const list = await kms.get("/sessions");
    const sessions = list.body.sessions as Record<string, unknown>[];
    assertEquals(sessions.length, 1);
    assertEquals(sessions[0].joined, true);
    assert(
      !list.text.includes(created.body.key_hex as string),
      "no key material in /sessions",
    );
  }, { args: ["--open"] });
});

Deno.test("wrapped delivery: ML-KEM-768 wrapped keys, no key_hex on the wire", async () => {
  await withMemoryKms(async (kms) => {
    const alpha = generateKemKeyPair();
    const bravo = generateKemKeyPair();
    const a = await kms.post("/get_session_key", {
      device_id: "Soldier_Alpha",
      peer_id: "Soldier_Bravo",
      kem_public_key: alpha.publicKey.toBase64(),
    });
    assertEquals(a.status, 200);
    assertEquals(a.body.key_hex, undefined);
    const keyA = await unwrapKey(
      {
        kemCiphertext: Uint8Array.fromBase64(a.body.kem_ciphertext as string),
        wrappedKey: Uint8Array.fromBase64(a.body.wrapped_key as string),
      },
      alpha.secretKey,
      { context: `${a.body.key_id}|Soldier_Alpha` },
    );
    const b = await kms.post("/get_session_key", {
      device_id: "Soldier_Bravo",
      peer_id: "Soldier_Alpha",
      kem_public_key: bravo.publicKey.toBase64(),
    });
    const keyB = await unwrapKey(
      {
        kemCiphertext: Uint8Array.fromBase64(b.body.kem_ciphertext as string),
        wrappedKey: Uint8Array.fromBase64(b.body.wrapped_key as string),
      },
      bravo.secretKey,
      { context: `${b.body.key_id}|Soldier_Bravo` },
    );
    assertEquals(keyA.toHex(), keyB.toHex());
    for (const text of [a.text, b.text]) {
      assert(!text.includes(keyA.toHex()), "the key never appears in clear");
      assert(!text.includes(keyA.toBase64()), "not even as base64");
    }
    const bad = await kms.post("/get_session_key", {
      device_id: "A",
      kem_public_key: "AAAA",
    });
    assertEquals(bad.status, 400);
    assertMatch(bad.body.message as string, /kem_public_key/);
    const pqc = await kms.post("/get_session_key", {
      device_id: "P",
      peer_id: "Q",
      pqc: true,
    });
    assertEquals(pqc.body.pqc, true);
  }, { args: ["--open"] });
});

Deno.test("--require-auth: the pair-key API needs the device's own token", async () => {
  await withMemoryKms(async (kms) => {
    const token = kms.enroll("Soldier_Alpha");
    const body = { device_id: "Soldier_Alpha", peer_id: "Soldier_Bravo" };
    assertEquals((await kms.post("/get_session_key", body)).status, 401);
    const ok = await kms.post("/get_session_key", body, {
      authorization: `Bearer ${token}`,
    });
    assertEquals(ok.status, 200);
    const other = await kms.post("/get_session_key", {
      device_id: "Soldier_Bravo",
    }, {
      authorization: `Bearer ${token}`,
    });
    assertEquals(other.status, 403);
  }, { args: ["--require-auth"] });
});

Deno.test("refusals: RED is HTTP 200 {error, qber, status}; unknown keys and sessions are 404, strangers 403", async () => {
  await withMemoryKms(async (kms) => {
    const unknownKey = await kms.post("/get_session_key", {
      device_id: "B",
      peer_id: "A",
      key_id: "k-1",
    });
    assertEquals(unknownKey.status, 404);
    assertEquals(unknownKey.body, {
      error: "unknown_key",
      message: "no recent key k-1 for B and A",
    });
    const needsPeer = await kms.post("/get_session_key", {
      device_id: "B",
      key_id: "k-1",
    });
    assertEquals(needsPeer.body, {
      error: "bad_field",
      message: "key_id needs peer_id",
    });
    const created = await kms.post("/create_session", {
      initiator: "A",
      peer: "B",
    });
    const sessionId = created.body.session_id as string;
    assertEquals(
      (await kms.post("/join_session", {
        session_id: sessionId,
        device_id: "E",
      })).body,
      {
        error: "not_session_peer",
        message: `E is not a member of session ${sessionId}`,
      },
    );
    assertEquals(
      (await kms.post("/join_session", { session_id: "s", device_id: "B" }))
        .body,
      { error: "unknown_session", message: "no session s" },
    );
    await kms.post("/force_attack");
    const red = await kms.post("/join_session", {
      session_id: sessionId,
      device_id: "B",
    });
    assertEquals(red.status, 200);
    assertEquals(Object.keys(red.body), ["error", "qber", "status"]);
    assertEquals(red.body.status, "RED");
    assertMatch(red.text, /"status":"RED"/);
    assertEquals(
      (await kms.post("/activate_eve")).text,
      '{"attack_mode":true,"status":"RED"}',
    );
  }, { args: ["--open"] });
});
