import { assert, assertEquals, assertMatch } from "@std/assert";
import { encKeysAtOnce } from "./_test_etsi.ts";
import { MEMORY_POOL_BITS, withMemoryKms } from "./_test_memory_kms.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

Deno.test("ETSI GS QKD 014: status, enc_keys, one-time dec_keys, 401s", async () => {
  await withMemoryKms(async (kms) => {
    const master = kms.enroll("SAE_A");
    const slave = kms.enroll("SAE_B");
    const asA = { authorization: `Bearer ${master}` };
    const asB = { authorization: `Bearer ${slave}` };
    const status = await kms.get("/api/v1/keys/SAE_B/status", asA);
    assertEquals(status.status, 200);
    assertEquals(status.body.master_SAE_ID, "SAE_A");
    assertEquals(status.body.slave_SAE_ID, "SAE_B");
    assertEquals(status.body.key_size, 256);
    // The pool's keys of key_size: what enc_keys can ask for now.
    assertEquals(status.body.stored_key_count, MEMORY_POOL_BITS / 256);
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
      MEMORY_POOL_BITS / 256 - 2,
      "2 x 128 + 1 x 256 bits left the pool",
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
    // RED: no keys, 503. Forcing the attack takes an operator's token.
    const operator = kms.enroll("Operator", { role: "operator" });
    await kms.post("/force_attack", {}, {
      authorization: `Bearer ${operator}`,
    });
    const red = await kms.get("/api/v1/keys/SAE_B/enc_keys", asA);
    assertEquals(red.status, 503);
    assertEquals(typeof red.body.message, "string");
  });
});

Deno.test("every ETSI refusal has the standard's shape, shared-code ones included", async () => {
  await withMemoryKms(async (kms) => {
    const asA = { authorization: `Bearer ${kms.enroll("SAE_A")}` };
    kms.enroll("SAE_B");
    // Checked before authentication: the operation, then the method.
    const unknown = await kms.get("/api/v1/keys/SAE_B/nonsense");
    assertEquals(unknown.status, 404);
    assertEquals(unknown.text, '{"message":"unknown operation nonsense"}');
    // Tables 4, 6, 8 name 400 for a bad request format, never 405.
    const method = await kms.post("/api/v1/keys/SAE_B/status", {});
    assertEquals(method.status, 400);
    assertEquals(method.headers.get("allow"), "GET");
    assertEquals(method.text, '{"message":"POST not allowed: use GET"}');
    const del = await kms.handle(
      new Request("http://kms/api/v1/keys/SAE_B/enc_keys", {
        method: "DELETE",
      }),
    );
    assertEquals(del.status, 400);
    assertEquals(del.headers.get("allow"), "GET, POST");
    assertEquals(
      await del.text(),
      '{"message":"DELETE not allowed: use GET or POST"}',
    );
    const none = await kms.get("/api/v1/keys/SAE_B/status");
    assertEquals(none.body, {
      message:
        "missing bearer token: Authorization: Bearer <token> (enroll with deno task kms:enroll)",
    });
    // The body reader the pair-key API shares.
    const badJson = await kms.post(
      "/api/v1/keys/SAE_B/enc_keys",
      "{not json",
      asA,
    );
    assertEquals(badJson.status, 400);
    assertEquals(badJson.text, '{"message":"request body is not valid JSON"}');
    const mandatory = await kms.post("/api/v1/keys/SAE_B/enc_keys", {
      extension_mandatory: [{ route: "x" }],
    }, asA);
    // Clause 6.2's message and Table 13's example details, word for word.
    assertEquals(mandatory.body, {
      message: "not all extension_mandatory parameters are supported",
      details: [{ extension_mandatory_unsupported: "route is not supported" }],
    });
    const badSae = await kms.get("/api/v1/keys/bad!id/status", asA);
    assertEquals(badSae.status, 400);
    assertMatch(badSae.body.message as string, /^slave SAE_ID must be/);
    const notUuid = await kms.get(
      "/api/v1/keys/SAE_B/dec_keys?key_ID=nope",
      asA,
    );
    assertEquals(notUuid.body, {
      message: "key_ID must be a UUID",
      details: [{ key_ID: "nope" }],
    });
  });
});

Deno.test("ETSI status reports this KME and the pool: the keys of key_size it holds and could hold", async () => {
  await withMemoryKms(async (kms) => {
    const asA = { authorization: `Bearer ${kms.enroll("SAE_A")}` };
    kms.enroll("SAE_B");
    await kms.get("/api/v1/keys/SAE_B/enc_keys?number=3", asA);
    assertEquals((await kms.get("/api/v1/keys/SAE_B/status", asA)).body, {
      source_KME_ID: "QSTCS-KMS",
      target_KME_ID: "QSTCS-KMS",
      master_SAE_ID: "SAE_A",
      slave_SAE_ID: "SAE_B",
      key_size: 256,
      stored_key_count: MEMORY_POOL_BITS / 256 - 3,
      max_key_count: 16_777_216 / 256,
      max_key_per_request: 128,
      max_key_size: 4096,
      min_key_size: 64,
      max_SAE_ID_count: 8,
    });
    const issued = kms.log.filter((l) => l.includes("[ETSI_KEYS_ISSUED]"));
    assertEquals(issued.length, 1);
    assertMatch(
      issued[0],
      /\[ETSI_KEYS_ISSUED\] master=SAE_A slave=SAE_B count=3 size=256 qber=\d\.\d{3}$/,
    );
  });
});

Deno.test("16 concurrent enc_keys near the pool's level: each gets all its keys or a 503, no bits twice, never more than the pool held", async () => {
  await withMemoryKms(async (kms) => {
    const asA = { authorization: `Bearer ${kms.enroll("SAE_A")}` };
    kms.enroll("SAE_B");
    // Ten requests' worth of bits for sixteen requests of 4 x 256 bits.
    const { served, refused: refusals } = await encKeysAtOnce(kms, {
      as: asA,
      count: 16,
      body: { number: 4, size: 256 },
    });
    assertEquals(served.length, 10);
    for (const refused of refusals) {
      assertEquals(refused.status, 503);
      assertMatch(refused.body.message as string, /^key pool empty/);
    }
    const keys = served.flatMap((a) =>
      (a.body.keys as { key: string }[]).map((k) => k.key)
    );
    assertEquals(keys.length, 40);
    assertEquals(new Set(keys).size, 40, "no key handed out twice");
    assertEquals(kms.kms.pool.bits, 0);
  }, { poolBits: 10 * 4 * 256 });
});

Deno.test("enc_keys of 128 x 4096 bits from a pool that holds them does not hold up another SAE's status", async () => {
  await withMemoryKms(async (kms) => {
    const asA = { authorization: `Bearer ${kms.enroll("SAE_A")}` };
    const asC = { authorization: `Bearer ${kms.enroll("SAE_C")}` };
    kms.enroll("SAE_B");
    const finished: string[] = [];
    const big = kms.get("/api/v1/keys/SAE_B/enc_keys?number=128&size=4096", asA)
      .then((r) => (finished.push("enc_keys"), r));
    const status = kms.get("/api/v1/keys/SAE_D/status", asC)
      .then((r) => (finished.push("status"), r));
    const [keys, other] = await Promise.all([big, status]);
    assertEquals(finished, ["status", "enc_keys"]);
    assertEquals(other.status, 200);
    assertEquals(other.body.stored_key_count, 0, "the pool is taken already");
    assertEquals(keys.status, 200);
    const delivered = keys.body.keys as { key: string }[];
    assertEquals(delivered.length, 128);
    assert(delivered.every((k) => Uint8Array.fromBase64(k.key).length === 512));
  }, { poolBits: 128 * 4096 });
});
