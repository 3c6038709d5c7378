import { assert, assertEquals, assertMatch } from "@std/assert";
import { parseKmsEvent } from "../protocol/mod.ts";
import { withMemoryKms } from "./_test_memory_kms.ts";

Deno.test("/events streams the state first, then key, block, link and pool events without key material", async () => {
  await withMemoryKms(async (kms) => {
    const response = await kms.handle(new Request("http://kms/events"));
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
    await kms.source.emit();
    await readUntil("event:link");
    assert(seen.indexOf("event:state") < seen.indexOf("event:link"));
    await readUntil("event:pool");
    const events = [...seen.matchAll(/event:(\w+)\ndata:(.*)\n/g)].map((
      [, name, data],
    ) => parseKmsEvent(name, data));
    assert(events.every((e) => e !== null), "every event parses");
    const block = events.find((e) => e?.event === "block");
    assertEquals(block?.data.outcome, "key");
    assertEquals(block?.data.secret_bits, 8192);
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
  }, { args: ["--open"] });
});

Deno.test("/metrics and /healthz; router_last_seen records BusyBox wget polls", async () => {
  await withMemoryKms(async (kms) => {
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
  }, { args: ["--open"] });
});

Deno.test("unknown paths get 404, other methods 405 naming the allowed ones", async () => {
  await withMemoryKms(async (kms) => {
    const missing = await kms.get("/no_such_route");
    assertEquals(missing.status, 404);
    assertEquals(
      missing.text,
      '{"error":"not_found","message":"no route /no_such_route"}',
    );
    const wrong = await kms.get("/get_session_key");
    assertEquals(wrong.status, 405);
    assertEquals(wrong.headers.get("allow"), "POST");
    assertEquals(
      wrong.text,
      '{"error":"method_not_allowed","message":"GET /get_session_key not allowed: use POST"}',
    );
    // Under the ETSI prefix but no ETSI operation: the common 404.
    assertEquals(
      (await kms.get("/api/v1/keys/SAE_B")).text,
      '{"error":"not_found","message":"no route /api/v1/keys/SAE_B"}',
    );
  });
});

Deno.test("only a BusyBox wget's GET /link_status counts as the router's heartbeat", async () => {
  await withMemoryKms(async (kms) => {
    await kms.get("/link_status", { "user-agent": "curl/8.0" });
    await kms.post("/link_status", {}, { "user-agent": "Wget" });
    await kms.get("/healthz", { "user-agent": "Wget" });
    assertEquals(kms.kms.routerLastSeen, null);
    const polled = await kms.get("/link_status", {
      "user-agent": "Wget/1.36.1",
    });
    assertEquals(polled.body.router_last_seen, kms.kms.routerLastSeen);
    assertMatch(kms.kms.routerLastSeen ?? "", /^\d{4}-\d\d-\d\dT/);
  });
});

Deno.test("request latency is labelled by route: ETSI requests as one, unknown paths as other", async () => {
  await withMemoryKms(async (kms) => {
    await kms.get("/link_status");
    await kms.get("/api/v1/keys/SAE_B/status");
    await kms.get("/api/v1/keys/SAE_B/nonsense");
    await kms.get("/api/v1/keys/");
    await kms.get("/nowhere");
    await kms.get("/api/v1/keys");
    const text = (await kms.get("/metrics")).text;
    const count = (route: string) =>
      text.match(
        new RegExp(
          `^qstcs_kms_request_duration_seconds_count\\{route="${route}"\\} (\\d+)$`,
          "m",
        ),
      )?.[1];
    assertEquals(count("/link_status"), "1");
    assertEquals(count("/api/v1/keys"), "3");
    assertEquals(count("other"), "2");
  });
});

Deno.test("an internal error is a 500 that says nothing; the log names the kind only", async () => {
  await withMemoryKms(async (kms) => {
    kms.kms.store.counter = () => {
      throw new RangeError("secret detail");
    };
    const errors: unknown[][] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => errors.push(args);
    try {
      const response = await kms.get("/link_status");
      assertEquals(response.status, 500);
      assertEquals(
        response.text,
        '{"error":"internal_error","message":"the KMS could not handle this request"}',
      );
    } finally {
      console.error = original;
    }
    assertEquals(errors, [[
      "[KMS] internal error on GET /link_status:",
      "RangeError",
    ]]);
  });
});

Deno.test("a failed authentication is audited once, with its source and the API it was for (tokens are required by default)", async () => {
  await withMemoryKms(async (kms) => {
    const pair = await kms.post("/get_session_key", { device_id: "A" });
    assertEquals(pair.status, 401);
    assertEquals(pair.body.error, "unauthorized");
    assertEquals(
      pair.headers.get("www-authenticate"),
      'Bearer realm="qstcs-kms"',
    );
    const etsi = await kms.get("/api/v1/keys/SAE_B/status", {
      authorization: "Bearer " + "x".repeat(43),
    });
    assertEquals(etsi.status, 401);
    assertEquals(etsi.text, '{"message":"bearer token not recognised"}');
    assertEquals(
      etsi.headers.get("www-authenticate"),
      'Bearer realm="qstcs-kms"',
    );
    const failures = kms.kms.store.recentAudit(100)
      .filter((e) => e.tag === "AUTH_FAILED")
      .map((e) => e.message);
    assertEquals(failures, [
      "source=127.0.0.1:51234 path=/get_session_key",
      "source=127.0.0.1:51234 api=etsi path=/api/v1/keys/SAE_B/status",
    ]);
    assertEquals(kms.log.filter((l) => l.includes("[AUTH_FAILED]")).length, 2);
  });
});
