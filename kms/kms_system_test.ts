/**
 * The KMS as a real process on a real socket, started with its permission
 * set: the seeds' contracts, pairing, the three acts, sessions, ETSI GS QKD
 * 014, wrapped delivery, SSE, metrics, persistence, bad input, the sandbox.
 */

import {
  assert,
  assertEquals,
  assertMatch,
  assertNotEquals,
} from "@std/assert";
import { generateKemKeyPair, unwrapKey } from "../protocol/mod.ts";
import { enroll, removeDataDir, startKms, type TestKms } from "./_test_kms.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function withKms(
  fn: (kms: TestKms) => Promise<void>,
  options: { args?: string[] } = {},
): Promise<void> {
  const kms = await startKms(options);
  try {
    await fn(kms);
  } finally {
    await kms.stop();
    await removeDataDir(kms.dataDir);
  }
}

Deno.test("seed contract: /get_session_key pairs two devices on one key, compact JSON", async () => {
  await withKms(async (kms) => {
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
    // The older seed form.
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
      (link.body.history as number[]).length,
      3,
      "one BB84 run per fresh key",
    );
    assertEquals(link.body.router_last_seen, null);
  });
});

Deno.test("without peer_id the next device receives the previous device's key", async () => {
  await withKms(async (kms) => {
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
  });
});

Deno.test("parallel requests never split a pair between two keys", async () => {
  await withKms(async (kms) => {
    const pairs = Array.from({ length: 16 }, (_, i) => [`A${i}`, `B${i}`]);
    const results = await Promise.all(pairs.flatMap(([a, b]) => [
      kms.post("/get_session_key", { device_id: a, peer_id: b }),
      kms.post("/get_session_key", { device_id: b, peer_id: a }),
    ]));
    for (let i = 0; i < pairs.length; i++) {
      const [x, y] = [results[2 * i], results[2 * i + 1]];
      assertEquals(x.status, 200);
      assertEquals(x.body.key_id, y.body.key_id, `pair ${i}`);
      assertEquals(x.body.key_hex, y.body.key_hex);
    }
    assertEquals(new Set(results.map((r) => r.body.key_id)).size, pairs.length);
  });
});

Deno.test("three acts: GREEN, force_attack turns RED and refuses keys, reset restores GREEN", async () => {
  await withKms(async (kms) => {
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
    assertEquals(refused.status, 200, "no HTTP error for an attack (seed)");
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
    const act3 = await kms.post("/get_session_key", {
      device_id: "Soldier_Alpha",
      peer_id: "Soldier_Bravo",
    });
    assertMatch(act3.body.key_hex as string, /^[0-9a-f]{64}$/);
  });
});

Deno.test("activate_eve and deactivate_eve switch attack mode without a run; trigger_attack is force_attack", async () => {
  await withKms(async (kms) => {
    assertEquals((await kms.post("/activate_eve")).body.attack_mode, true);
    let link = await kms.get("/link_status");
    assertEquals(link.body.history, []);
    assertEquals(link.body.attack_mode, true);
    const run = await kms.post("/get_session_key", {
      device_id: "A",
      peer_id: "B",
    });
    assert((run.body.qber as number) > 0.11);
    assertEquals(run.body.key_hex, undefined);
    assertEquals((await kms.post("/deactivate_eve")).body.attack_mode, false);
    await kms.post("/reset");
    assertEquals((await kms.post("/trigger_attack")).body.status, "RED");
    link = await kms.get("/link_status");
    assertEquals(link.body.attack_mode, true);
  });
});

Deno.test("session API: create, join by the named peer only, list without keys", async () => {
  await withKms(async (kms) => {
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
  });
});

Deno.test("wrapped delivery: ML-KEM-768 wrapped keys, no key_hex on the wire", async () => {
  await withKms(async (kms) => {
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
  });
});

Deno.test("ETSI GS QKD 014: status, enc_keys, one-time dec_keys, 401s", async () => {
  await withKms(async (kms) => {
    const master = await enroll(kms.dataDir, "SAE_A");
    const slave = await enroll(kms.dataDir, "SAE_B");
    const asA = { authorization: `Bearer ${master}` };
    const asB = { authorization: `Bearer ${slave}` };
    const status = await kms.get("/api/v1/keys/SAE_B/status", asA);
    assertEquals(status.status, 200);
    assertEquals(status.body.master_SAE_ID, "SAE_A");
    assertEquals(status.body.slave_SAE_ID, "SAE_B");
    assertEquals(status.body.key_size, 256);
    assertEquals(status.body.stored_key_count, 0);
    const got = await kms.get(
      "/api/v1/keys/SAE_B/enc_keys?number=2&size=128",
      asA,
    );
    assertEquals(got.status, 200);
    const keys = got.body.keys as { key_ID: string; key: string }[];
    assertEquals(keys.length, 2);
    for (const k of keys) {
      assertMatch(k.key_ID, UUID);
      assertEquals(Uint8Array.fromBase64(k.key).length, 16);
    }
    const posted = await kms.post("/api/v1/keys/SAE_B/enc_keys", {
      number: 1,
      size: 256,
    }, asA);
    assertEquals((posted.body.keys as unknown[]).length, 1);
    assertEquals(
      (await kms.get("/api/v1/keys/SAE_B/status", asA)).body.stored_key_count,
      3,
    );
    // The slave fetches by id, once.
    const dec = await kms.get(
      `/api/v1/keys/SAE_A/dec_keys?key_ID=${keys[0].key_ID}`,
      asB,
    );
    assertEquals(dec.status, 200);
    assertEquals((dec.body.keys as { key: string }[])[0].key, keys[0].key);
    const again = await kms.get(
      `/api/v1/keys/SAE_A/dec_keys?key_ID=${keys[0].key_ID}`,
      asB,
    );
    assertEquals(again.status, 400);
    assertEquals(typeof again.body.message, "string");
    assertEquals(
      (again.body.details as { key_ID: string }[])[0].key_ID,
      keys[0].key_ID,
    );
    const decPost = await kms.post("/api/v1/keys/SAE_A/dec_keys", {
      key_IDs: [{ key_ID: keys[1].key_ID }],
    }, asB);
    assertEquals((decPost.body.keys as { key: string }[])[0].key, keys[1].key);
    // The master cannot fetch its own keys as if it were the slave.
    const wrongSide = await kms.get(
      `/api/v1/keys/SAE_A/dec_keys?key_ID=${
        (posted.body.keys as { key_ID: string }[])[0].key_ID
      }`,
      asA,
    );
    assertEquals(wrongSide.status, 400);
    // Authentication.
    const none = await kms.get("/api/v1/keys/SAE_B/status");
    assertEquals(none.status, 401);
    assertEquals(typeof none.body.message, "string");
    assertEquals(
      (await kms.get("/api/v1/keys/SAE_B/status", {
        authorization: "Bearer " + "x".repeat(43),
      })).status,
      401,
    );
    assertEquals(
      (await kms.get("/api/v1/keys/SAE_B/enc_keys?number=0", asA)).status,
      400,
    );
    assertEquals(
      (await kms.get("/api/v1/keys/SAE_B/enc_keys?size=12", asA)).status,
      400,
    );
    // RED: no keys, 503.
    await kms.post("/force_attack");
    const red = await kms.get("/api/v1/keys/SAE_B/enc_keys", asA);
    assertEquals(red.status, 503);
    assertEquals(typeof red.body.message, "string");
  });
});

Deno.test("--require-auth: seed endpoints need the device's own token", async () => {
  await withKms(async (kms) => {
    const token = await enroll(kms.dataDir, "Soldier_Alpha");
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

Deno.test("/events streams the state first, then link and key events without key material", async () => {
  await withKms(async (kms) => {
    const response = await fetch(`${kms.url}/events`);
    assertEquals(response.headers.get("content-type"), "text/event-stream");
    const reader = response.body!.pipeThrough(new TextDecoderStream())
      .getReader();
    let seen = "";
    const readUntil = async (needle: string) => {
      while (!seen.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${needle}`);
        seen += value;
      }
    };
    await readUntil("event:state");
    const key = await kms.post("/get_session_key", {
      device_id: "Soldier_Alpha",
      peer_id: "Soldier_Bravo",
    });
    await readUntil("event:key");
    await readUntil("event:link");
    assert(seen.indexOf("event:state") < seen.indexOf("event:link"));
    assert(seen.includes(key.body.key_id as string));
    assert(
      !seen.includes(key.body.key_hex as string),
      "no key material in events",
    );
    await kms.post("/force_attack");
    await readUntil("event:attack");
    await kms.post("/reset");
    await readUntil("event:reset");
    await reader.cancel();
  });
});

Deno.test("/metrics and /healthz; router_last_seen records BusyBox wget polls", async () => {
  await withKms(async (kms) => {
    await kms.post("/get_session_key", { device_id: "A", peer_id: "B" });
    await kms.get("/link_status", { "user-agent": "Wget" });
    const metrics = await kms.get("/metrics");
    assertMatch(metrics.text, /^qstcs_kms_keys_issued_total 1$/m);
    assertMatch(metrics.text, /^qstcs_kms_link_status\{status="GREEN"\} 1$/m);
    assertMatch(
      metrics.text,
      /qstcs_kms_request_duration_seconds_bucket\{route="\/get_session_key",le="\+Inf"\} 1/,
    );
    const link = await kms.get("/link_status");
    assert(typeof link.body.router_last_seen === "string");
    const health = await kms.get("/healthz");
    assertEquals(health.body.ok, true);
  });
});

Deno.test("the running KMS can read its data directory and nothing else", async () => {
  await withKms(async (kms) => {
    const sandbox = (await kms.get("/healthz")).body.sandbox as Record<
      string,
      boolean
    >;
    assertEquals(sandbox, {
      read_data_dir: true,
      read_root: false,
      write_root: false,
      run: false,
      net_any: false,
    });
  });
});

Deno.test("bad input gets 4xx JSON errors, the process stays up and state is intact", async () => {
  await withKms(async (kms) => {
    const good = await kms.post("/get_session_key", {
      device_id: "A",
      peer_id: "B",
    });
    const cases: [string, unknown, number][] = [
      ["/get_session_key", "{not json", 400],
      ["/get_session_key", "[1,2]", 400],
      ["/get_session_key", {}, 400],
      ["/get_session_key", { device_id: 42 }, 400],
      ["/get_session_key", { device_id: "bad id!" }, 400],
      ["/get_session_key", { device_id: "x".repeat(65) }, 400],
      ["/get_session_key", { device_id: "A", peer_id: ["B"] }, 400],
      ["/get_session_key", { device_id: "A", pqc: "yes" }, 400],
      ["/get_session_key", { device_id: "A", pad: "x".repeat(20_000) }, 413],
      ["/join_session", { session_id: 5, device_id: "A" }, 400],
      ["/create_session", { initiator: "A" }, 400],
    ];
    for (const [path, body, status] of cases) {
      const r = await kms.post(path, body);
      assertEquals(
        r.status,
        status,
        `${path} ${JSON.stringify(body).slice(0, 40)}`,
      );
      assertEquals(typeof r.body.error, "string");
      assertEquals(typeof r.body.message, "string");
    }
    assertEquals((await kms.get("/no_such_route")).status, 404);
    const wrongMethod = await kms.get("/get_session_key");
    assertEquals(wrongMethod.status, 405);
    assertEquals(wrongMethod.headers.get("allow"), "POST");
    const link = await kms.get("/link_status");
    assertEquals(link.status, 200);
    assertEquals(link.body.total_keys_issued, 1);
    const peer = await kms.post("/get_session_key", {
      device_id: "B",
      peer_id: "A",
    });
    assertEquals(
      peer.body.key_hex,
      good.body.key_hex,
      "the pending pair key survived the bad requests",
    );
  });
});

Deno.test("a restart keeps history, counters, link status, audit log and undelivered ETSI keys", async () => {
  let kms = await startKms();
  const { dataDir } = kms;
  try {
    const master = await enroll(dataDir, "SAE_A");
    const slave = await enroll(dataDir, "SAE_B");
    await kms.post("/get_session_key", { device_id: "A", peer_id: "B" });
    await kms.post("/get_session_key", { device_id: "B", peer_id: "A" });
    const etsi = await kms.get("/api/v1/keys/SAE_B/enc_keys", {
      authorization: `Bearer ${master}`,
    });
    const etsiKey = (etsi.body.keys as { key_ID: string; key: string }[])[0];
    await kms.post("/force_attack");
    const before = (await kms.get("/link_status")).body;
    await kms.stop();
    kms = await startKms({ dataDir });
    const after = (await kms.get("/link_status")).body;
    assertEquals(after.status, "RED");
    assertEquals(after.history, before.history);
    assertEquals(after.total_keys_issued, before.total_keys_issued);
    assertEquals(after.attacks_detected, before.attacks_detected);
    assertEquals(after.attack_mode, true);
    const dec = await kms.get(
      `/api/v1/keys/SAE_A/dec_keys?key_ID=${etsiKey.key_ID}`,
      {
        authorization: `Bearer ${slave}`,
      },
    );
    assertEquals((dec.body.keys as { key: string }[])[0].key, etsiKey.key);
    const logs = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-P=kms-admin", "kms/logs.ts", "--last", "100"],
      env: { KMS_DATA: dataDir, NO_COLOR: "1" },
    }).output();
    const text = new TextDecoder().decode(logs.stdout);
    assertMatch(text, /\[KEY_ISSUED\] device=A peer=B/);
    assertMatch(text, /\[ATTACK_DETECTED\] qber=/);
    assertMatch(text, /\[LINK_RED\]/);
    assertMatch(
      text,
      /\[ETSI_KEYS_DELIVERED\] master=SAE_A slave=SAE_B count=1/,
    );
    assert(!text.includes(etsiKey.key), "no key material in the audit log");
    assert(!kms.process.output.includes(etsiKey.key), "nor in the console");
  } finally {
    await kms.stop();
    await removeDataDir(dataDir);
  }
});
