// ETSI GS QKD 014 V1.1.1 conformance, written from the standard's text
// (clause 6 and Tables 2 to 13): the codes and messages of issue 15.
import { assert, assertEquals, assertMatch } from "@std/assert";
import { encKeysAtOnce } from "./_test_etsi.ts";
import { type MemoryKms, withMemoryKms } from "./_test_memory_kms.ts";

type Keys = { key_ID: string; key: string }[];
type Auth = { authorization: string };

function saes(kms: MemoryKms, ...names: string[]): Record<string, Auth> {
  return Object.fromEntries(
    names.map((
      name,
    ) => [name, { authorization: `Bearer ${kms.enroll(name)}` }]),
  );
}

async function issue(
  kms: MemoryKms,
  options: { as: Auth; slave?: string; body?: Record<string, unknown> },
): Promise<Keys> {
  const got = await kms.post(
    `/api/v1/keys/${options.slave ?? "SAE_B"}/enc_keys`,
    options.body ?? { number: 1 },
    options.as,
  );
  assertEquals(got.status, 200, got.text);
  return got.body.keys as Keys;
}

function etsiKeyRows(kms: MemoryKms): number {
  return (kms.kms.store.statement("SELECT count(*) AS n FROM etsi_keys")
    .get() as { n: number }).n;
}

Deno.test("Table 7: an SAE that is no slave of a key gets 401 for it, and the slave still collects it", async () => {
  await withMemoryKms(async (kms) => {
    const { SAE_A, SAE_B, SAE_C } = saes(kms, "SAE_A", "SAE_B", "SAE_C");
    const [key] = await issue(kms, { as: SAE_A });
    const path = `/api/v1/keys/SAE_A/dec_keys?key_ID=${key.key_ID}`;
    const other = await kms.get(path, SAE_C);
    assertEquals(other.status, 401);
    assertEquals(other.body, {
      message: "SAE_C is not a slave SAE of these keys",
      details: [{ key_ID: key.key_ID }],
    });
    // A 401 for one key refuses the whole request, known keys included.
    const [mine] = await issue(kms, { as: SAE_A, slave: "SAE_C" });
    const mixed = await kms.post("/api/v1/keys/SAE_A/dec_keys", {
      key_IDs: [{ key_ID: mine.key_ID }, { key_ID: key.key_ID }],
    }, SAE_C);
    assertEquals(mixed.status, 401);
    const slave = await kms.get(path, SAE_B);
    assertEquals(slave.status, 200);
    assertEquals((slave.body.keys as Keys)[0].key, key.key);
    const still = await kms.get(
      `/api/v1/keys/SAE_A/dec_keys?key_ID=${mine.key_ID}`,
      SAE_C,
    );
    assertEquals(still.status, 200, "the refused request took nothing");
  });
});

Deno.test("Table 10: extension_mandatory and additional_slave_SAE_IDs of the wrong type are a bad request format, and issue no key", async () => {
  await withMemoryKms(async (kms) => {
    const { SAE_A } = saes(kms, "SAE_A", "SAE_B", "SAE_C");
    const bits = kms.kms.pool.bits;
    const cases: [Record<string, unknown>, string][] = [
      // As nanoy42's client types it: an object.
      [
        { extension_mandatory: { abc_route_type: "direct" } },
        "extension_mandatory must be an array of objects",
      ],
      [
        { extension_mandatory: "abc_route_type" },
        "extension_mandatory must be an array of objects",
      ],
      [
        { extension_mandatory: ["abc_route_type"] },
        "extension_mandatory must be an array of objects",
      ],
      [
        { extension_optional: { x: 1 } },
        "extension_optional must be an array of objects",
      ],
      [
        { additional_slave_SAE_IDs: "SAE_C" },
        "additional_slave_SAE_IDs must be an array of strings",
      ],
      [
        { additional_slave_SAE_IDs: [7] },
        "additional_slave_SAE_IDs must be an array of strings",
      ],
    ];
    for (const [body, message] of cases) {
      const got = await kms.post("/api/v1/keys/SAE_B/enc_keys", body, SAE_A);
      assertEquals(got.status, 400, JSON.stringify(body));
      assertEquals(got.body, { message });
    }
    assertEquals(kms.kms.pool.bits, bits, "no bits left the pool");
    assertEquals(etsiKeyRows(kms), 0);
    // 6.2 and Table 13: the standard's message and details for each name.
    const unsupported = await kms.post("/api/v1/keys/SAE_B/enc_keys", {
      extension_mandatory: [{ abc_route_type: "direct" }, {
        abc_transfer_method: "qkd",
      }],
    }, SAE_A);
    assertEquals(unsupported.status, 400);
    assertEquals(unsupported.body, {
      message: "not all extension_mandatory parameters are supported",
      details: [
        { extension_mandatory_unsupported: "abc_route_type is not supported" },
        {
          extension_mandatory_unsupported:
            "abc_transfer_method is not supported",
        },
      ],
    });
    // "KME may ignore" extension_optional; an empty mandatory list asks nothing.
    const ignored = await issue(kms, {
      as: SAE_A,
      body: { extension_optional: [{ abc: 1 }], extension_mandatory: [] },
    });
    assertEquals(ignored.length, 1);
  });
});

Deno.test("a malformed percent-escape or another bad SAE id in the path is a 400 in the standard's shape, never a 500", async () => {
  await withMemoryKms(async (kms) => {
    const { SAE_A } = saes(kms, "SAE_A", "SAE_B");
    for (const operation of ["status", "enc_keys", "dec_keys"]) {
      const got = await kms.get(`/api/v1/keys/%ZZ/${operation}`, SAE_A);
      assertEquals(got.status, 400, operation);
      assertMatch(
        got.body.message as string,
        /SAE_ID is not a valid URL-encoded id$/,
      );
    }
    const bad = [
      "%",
      "%E0%A4%A",
      "%C0%AF",
      "%00",
      "a%2Fb",
      "%20",
      "x".repeat(65),
      "%ZZ%ZZ",
      "SAE_B%",
      "..",
      "%2e%2e",
    ];
    for (const sae of bad) {
      for (const operation of ["status", "enc_keys", "dec_keys"]) {
        const got = await kms.get(`/api/v1/keys/${sae}/${operation}`, SAE_A);
        assert(
          [400, 404].includes(got.status),
          `${sae}/${operation}: ${got.status} ${got.text}`,
        );
        assertEquals(typeof got.body.message, "string", got.text);
      }
    }
  });
});

Deno.test("clause 6 fixes three messages, word for word", async () => {
  await withMemoryKms(async (kms) => {
    const { SAE_A, SAE_B } = saes(kms, "SAE_A", "SAE_B");
    for (const size of ["100", "65", "4095"]) {
      const got = await kms.get(
        `/api/v1/keys/SAE_B/enc_keys?size=${size}`,
        SAE_A,
      );
      assertEquals(got.status, 400);
      assertEquals(got.body, { message: "size shall be a multiple of 8" });
    }
    const mandatory = await kms.post("/api/v1/keys/SAE_B/enc_keys", {
      extension_mandatory: [{ abc_route_type: "direct" }],
    }, SAE_A);
    assertEquals(
      mandatory.body.message,
      "not all extension_mandatory parameters are supported",
    );
    const unknown = crypto.randomUUID();
    const notFound = await kms.get(
      `/api/v1/keys/SAE_A/dec_keys?key_ID=${unknown}`,
      SAE_B,
    );
    assertEquals(notFound.status, 400);
    assertEquals(notFound.body, {
      message: "one or more keys specified are not found on KME",
      details: [{ key_ID: unknown }],
    });
    // A multiple of 8 out of range is refused with its own message.
    const small = await kms.get("/api/v1/keys/SAE_B/enc_keys?size=8", SAE_A);
    assertEquals(small.body, { message: "size must be 64 to 4096 bits" });
  });
});

Deno.test("key ids: upper-case UUIDs are the same keys, and a key named twice is a 400 that takes nothing", async () => {
  await withMemoryKms(async (kms) => {
    const { SAE_A, SAE_B } = saes(kms, "SAE_A", "SAE_B");
    const [first, second] = await issue(kms, {
      as: SAE_A,
      body: { number: 2 },
    });
    const twice = await kms.post("/api/v1/keys/SAE_A/dec_keys", {
      key_IDs: [{ key_ID: first.key_ID }, {
        key_ID: first.key_ID.toUpperCase(),
      }],
    }, SAE_B);
    assertEquals(twice.status, 400);
    assertEquals(twice.body, {
      message: "a key_ID is named twice",
      details: [{ key_ID: first.key_ID }],
    });
    const upper = await kms.post("/api/v1/keys/SAE_A/dec_keys", {
      key_IDs: [{ key_ID: first.key_ID.toUpperCase() }, {
        key_ID: second.key_ID,
      }],
    }, SAE_B);
    assertEquals(upper.status, 200);
    assertEquals(upper.body.keys, [first, second]);
  });
});

Deno.test("enc_keys for a slave that could never collect the keys (not enrolled, or an operator) is a 400", async () => {
  await withMemoryKms(async (kms) => {
    const { SAE_A } = saes(kms, "SAE_A", "SAE_B");
    kms.enroll("Operator", { role: "operator" });
    const bits = kms.kms.pool.bits;
    const ghost = await kms.get("/api/v1/keys/SAE_Z/enc_keys", SAE_A);
    assertEquals(ghost.status, 400);
    assertEquals(ghost.body, {
      message:
        "slave SAE SAE_Z is not enrolled: it could never collect these keys (deno task kms:enroll SAE_Z)",
      details: [{ slave_SAE_ID: "SAE_Z" }],
    });
    assertEquals(
      (await kms.get("/api/v1/keys/Operator/enc_keys", SAE_A)).status,
      400,
    );
    const extra = await kms.post("/api/v1/keys/SAE_B/enc_keys", {
      additional_slave_SAE_IDs: ["SAE_Y"],
    }, SAE_A);
    assertEquals(extra.status, 400);
    assertEquals(extra.body.details, [{ slave_SAE_ID: "SAE_Y" }]);
    assertEquals(kms.kms.pool.bits, bits);
    assertEquals(etsiKeyRows(kms), 0);
  });
});

Deno.test("the named methods answer only the standard's codes: a wrong method or a body too large is a 400, an operator's token a 401; an unknown operation stays 404; all in JSON {message}", async () => {
  await withMemoryKms(async (kms) => {
    const { SAE_A } = saes(kms, "SAE_A", "SAE_B");
    for (
      const [method, operation] of [
        ["PUT", "status"],
        ["DELETE", "enc_keys"],
        ["PATCH", "dec_keys"],
      ]
    ) {
      const got = await kms.handle(
        new Request(`http://kms/api/v1/keys/SAE_B/${operation}`, {
          method,
          headers: SAE_A,
        }),
      );
      assertEquals(got.status, 400, `${method} ${operation}`);
      assertMatch((await got.json()).message, /not allowed: use GET/);
    }
    const large = await kms.post("/api/v1/keys/SAE_B/enc_keys", {
      pad: "x".repeat(17 * 1024),
    }, SAE_A);
    assertEquals(large.status, 400);
    assertEquals(large.body, {
      message: "request body is larger than 16384 bytes",
    });
    const operator = kms.enroll("Operator", { role: "operator" });
    const notSae = await kms.get("/api/v1/keys/SAE_B/status", {
      authorization: `Bearer ${operator}`,
    });
    assertEquals(notSae.status, 401, "no 403 in Tables 4, 6 and 8");
    assertEquals(notSae.body, {
      message: "Operator is an operator: ETSI keys are for SAEs",
    });
    const unknown = await kms.get("/api/v1/keys/SAE_B/nonsense", SAE_A);
    assertEquals(unknown.status, 404);
    // Other paths under the prefix: the common 404, whose JSON has a message.
    for (const path of ["/api/v1/keys/", "/api/v1/keys/SAE_B/status/extra"]) {
      const other = await kms.get(path, SAE_A);
      assertEquals(other.status, 404);
      assertEquals(other.body.message, `no route ${path}`);
    }
  });
});

Deno.test("RED: status says the link is down, and dec_keys delivers nothing (503) but keeps the keys for after the reset", async () => {
  await withMemoryKms(async (kms) => {
    const { SAE_A, SAE_B } = saes(kms, "SAE_A", "SAE_B");
    const operator = {
      authorization: `Bearer ${kms.enroll("Operator", { role: "operator" })}`,
    };
    const green = await kms.get("/api/v1/keys/SAE_B/status", SAE_A);
    assertEquals(green.body.status_extension, undefined);
    const [key] = await issue(kms, { as: SAE_A });
    await kms.post("/force_attack", {}, operator);
    const status = await kms.get("/api/v1/keys/SAE_B/status", SAE_A);
    assertEquals(status.status, 200);
    assertEquals(status.body.stored_key_count, 0);
    assertEquals(status.body.status_extension, { qstcs_link_status: "RED" });
    const path = `/api/v1/keys/SAE_A/dec_keys?key_ID=${key.key_ID}`;
    const red = await kms.get(path, SAE_B);
    assertEquals(red.status, 503);
    assertEquals(red.body, {
      message:
        "QKD link is RED: keys are not delivered until an operator resets the link",
    });
    assertEquals(kms.kms.etsi.count({ master: "SAE_A", slave: "SAE_B" }), 1);
    assertEquals((await kms.post("/reset", {}, operator)).status, 200);
    const after = await kms.get(path, SAE_B);
    assertEquals(after.status, 200);
    assertEquals(after.body.keys, [key]);
  });
});

Deno.test("multicast: one take from the pool, the same keys collected once by each named slave, erased after the last", async () => {
  await withMemoryKms(async (kms) => {
    const { SAE_A, SAE_B, SAE_C, SAE_D, SAE_E } = saes(
      kms,
      "SAE_A",
      "SAE_B",
      "SAE_C",
      "SAE_D",
      "SAE_E",
    );
    assertEquals(
      (await kms.get("/api/v1/keys/SAE_B/status", SAE_A)).body
        .max_SAE_ID_count,
      8,
    );
    const bits = kms.kms.pool.bits;
    const keys = await issue(kms, {
      as: SAE_A,
      body: {
        number: 2,
        size: 128,
        additional_slave_SAE_IDs: ["SAE_C", "SAE_D"],
      },
    });
    assertEquals(kms.kms.pool.bits, bits - 2 * 128, "number x size, once");
    assertEquals(etsiKeyRows(kms), 2, "one sealed copy per key");
    const body = { key_IDs: keys.map(({ key_ID }) => ({ key_ID })) };
    const path = "/api/v1/keys/SAE_A/dec_keys";
    assertEquals((await kms.post(path, body, SAE_E)).status, 401);
    for (const slave of [SAE_B, SAE_C, SAE_D]) {
      const got = await kms.post(path, body, slave);
      assertEquals(got.status, 200);
      assertEquals(got.body.keys, keys);
      const again = await kms.post(path, body, slave);
      assertEquals(again.status, 400, "once per slave");
      assertEquals(
        again.body.message,
        "one or more keys specified are not found on KME",
      );
    }
    assertEquals(etsiKeyRows(kms), 0, "erased after the last slave");
    assertEquals(
      (kms.kms.store.statement("SELECT count(*) AS n FROM etsi_key_slaves")
        .get() as { n: number }).n,
      0,
    );
    const refusals: [unknown, RegExp][] = [
      [["SAE_A"], /^master and slave SAE must differ$/],
      [["SAE_B"], /names SAE_B, the slave of the path$/],
      [["SAE_C", "SAE_C"], /names an SAE twice$/],
      [Array.from({ length: 9 }, (_, i) => `SAE_${i}`), /at most 8/],
      [["bad id"], /not an SAE_ID$/],
    ];
    for (const [extra, message] of refusals) {
      const got = await kms.post("/api/v1/keys/SAE_B/enc_keys", {
        additional_slave_SAE_IDs: extra,
      }, SAE_A);
      assertEquals(got.status, 400, JSON.stringify(extra));
      assertMatch(got.body.message as string, message);
    }
  });
});

Deno.test("the cap of 4,096 undelivered keys holds per slave, for 16 concurrent enc_keys near it and for multicast", async () => {
  await withMemoryKms(async (kms) => {
    const { SAE_A, SAE_B } = saes(kms, "SAE_A", "SAE_B", "SAE_C");
    // 4,096 - 300 keys waiting for SAE_B: room for two requests of 128.
    for (let i = 0; i < 29; i++) {
      await issue(kms, { as: SAE_A, body: { number: 128, size: 64 } });
    }
    await issue(kms, { as: SAE_A, body: { number: 84, size: 64 } });
    const pair = { master: "SAE_A", slave: "SAE_B" };
    assertEquals(kms.kms.etsi.count(pair), 3796);
    const { served, refused } = await encKeysAtOnce(kms, {
      as: SAE_A,
      count: 16,
      body: { number: 128, size: 64 },
    });
    assertEquals(served.length, 2);
    for (const refusal of refused) {
      assertEquals(refusal.status, 400);
      assertMatch(
        refusal.body.message as string,
        /^at most 4096 undelivered keys per SAE pair: SAE_B has \d+ to collect$/,
      );
    }
    assertEquals(kms.kms.etsi.count(pair), 4052);
    // A multicast counts for each slave: SAE_B's full pair refuses it,
    // though SAE_C has room.
    const multicast = await kms.post("/api/v1/keys/SAE_C/enc_keys", {
      number: 100,
      size: 64,
      additional_slave_SAE_IDs: ["SAE_B"],
    }, SAE_A);
    assertEquals(multicast.status, 400);
    assertMatch(multicast.body.message as string, /SAE_B has 4052/);
    assertEquals(kms.kms.etsi.count({ master: "SAE_A", slave: "SAE_C" }), 0);
    // Collecting makes room again.
    const ids = (served[0].body.keys as Keys).map(({ key_ID }) => ({ key_ID }));
    assertEquals(
      (await kms.post("/api/v1/keys/SAE_A/dec_keys", { key_IDs: ids }, SAE_B))
        .status,
      200,
    );
    assertEquals(kms.kms.etsi.count(pair), 4052 - 128);
  }, { poolBits: 4096 * 2 * 64 });
});
