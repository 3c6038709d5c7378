import { assert, assertEquals, assertMatch } from "@std/assert";
import { requestKeys, type TestResponse } from "./_test_kms.ts";
import { withMemoryKms } from "./_test_memory_kms.ts";

const OPERATOR_PATHS = [
  "/force_attack",
  "/trigger_attack",
  "/reset",
  "/activate_eve",
  "/deactivate_eve",
];

/**
 * `call` without a token and with an unknown one is 401, with the device
 * token of Soldier_Alpha (`options.device`) 403 naming `options.path`.
 */
async function assertOperatorOnly(
  call: (headers?: Record<string, string>) => Promise<TestResponse>,
  options: { path: string; device: string },
): Promise<void> {
  const { path, device } = options;
  const none = await call();
  assertEquals(none.status, 401, path);
  assertEquals(none.body.error, "unauthorized");
  assertEquals(
    none.headers.get("www-authenticate"),
    'Bearer realm="qstcs-kms"',
  );
  const unknown = await call({ authorization: "Bearer " + "x".repeat(43) });
  assertEquals(unknown.status, 401, path);
  assertEquals(unknown.body.message, "bearer token not recognised");
  const asDevice = await call({ authorization: `Bearer ${device}` });
  assertEquals(asDevice.status, 403, path);
  assertEquals(asDevice.body, {
    error: "forbidden",
    message:
      `Soldier_Alpha holds a device credential: ${path} needs an operator credential (deno task kms:enroll NAME --role operator)`,
  });
}

Deno.test("operator endpoints: no or unknown token 401, a device token 403, and the link is untouched", async () => {
  await withMemoryKms(async (kms) => {
    const device = kms.enroll("Soldier_Alpha");
    for (const path of OPERATOR_PATHS) {
      await assertOperatorOnly(
        (headers) => kms.post(path, {}, headers),
        { path, device },
      );
    }
    const link = await kms.get("/link_status");
    assertEquals(link.body.attack_mode, false);
    assertEquals(link.body.status, "GREEN");
    assertEquals(link.body.history, []);
    const forbidden = kms.kms.store.recentAudit(100).filter((e) =>
      e.tag === "FORBIDDEN"
    );
    assertEquals(
      forbidden[0].message,
      "actor=Soldier_Alpha source=127.0.0.1:51234 role=device path=/force_attack",
    );
  });
});

Deno.test("an operator's token runs every action, each audited with actor and source before the row's own fields", async () => {
  await withMemoryKms(async (kms) => {
    const auth = {
      authorization: `Bearer ${kms.enroll("Operator", { role: "operator" })}`,
    };
    const from = kms.from({ hostname: "127.0.0.2", port: 40000 });
    assertEquals((await from.post("/activate_eve", {}, auth)).body, {
      attack_mode: true,
      status: "GREEN",
    });
    assertEquals((await kms.post("/deactivate_eve", {}, auth)).status, 200);
    assertEquals(
      (await kms.post("/force_attack", {}, auth)).body.status,
      "RED",
    );
    assertEquals(
      (await kms.post("/reset", {}, auth)).text,
      '{"status":"reset_complete"}',
    );
    assertEquals(
      (await kms.post("/trigger_attack", {}, auth)).body.status,
      "RED",
    );
    // Already on: the operator's switch is audited all the same.
    assertEquals((await kms.post("/activate_eve", {}, auth)).status, 200);
    const rows = kms.kms.store.recentAudit(200)
      .filter((e) => /^(EVE_|RESET)/.test(e.tag))
      .map((e) => `[${e.tag}] ${e.message}`);
    const by = "actor=Operator source=127.0.0.1:51234";
    assertEquals(rows, [
      "[EVE_ACTIVATED] actor=Operator source=127.0.0.2:40000 mode=intercept-resend rate=1.0",
      `[EVE_DEACTIVATED] ${by} mode=intercept-resend rate=1.0`,
      `[EVE_ACTIVATED] ${by} mode=intercept-resend rate=1.0`,
      `[EVE_DEACTIVATED] ${by} mode=intercept-resend rate=1.0`,
      `[RESET] ${by} attack=off history=cleared status=GREEN`,
      `[EVE_ACTIVATED] ${by} mode=intercept-resend rate=1.0`,
      `[EVE_ACTIVATED] ${by} mode=intercept-resend rate=1.0`,
    ]);
    assert(
      kms.log.some((l) =>
        /\[RESET\] actor=Operator source=127\.0\.0\.1:51234 attack=off/.test(l)
      ),
      "the console line too",
    );
  });
});

Deno.test("--open: anyone runs operator actions, audited as actor=anonymous; /healthz says auth open", async () => {
  await withMemoryKms(async (kms) => {
    assertEquals((await kms.post("/reset")).status, 200);
    assertEquals(
      kms.kms.store.recentAudit(1)[0].message,
      "actor=anonymous source=127.0.0.1:51234 attack=off history=cleared status=GREEN",
    );
    assertEquals((await kms.get("/healthz")).body.auth, "open");
  }, { args: ["--open"] });
  await withMemoryKms(async (kms) => {
    assertEquals((await kms.get("/healthz")).body.auth, "required");
  });
});

Deno.test("--open only: the seeds' first client's {client_id, peer_id} gets aes_key, session_id and link_status too", async () => {
  await withMemoryKms(async (kms) => {
    const seed = await kms.post("/get_session_key", {
      client_id: "Soldier_Alpha",
      peer_id: "Soldier_Bravo",
    });
    assertEquals(seed.status, 200);
    assertMatch(seed.body.aes_key as string, /^[0-9a-f]{64}$/);
    assertEquals(seed.body.aes_key, seed.body.key_hex);
    assertEquals(seed.body.session_id, seed.body.key_id);
    assertEquals(seed.body.link_status, seed.body.status);
    const current = await kms.post("/get_session_key", {
      device_id: "Soldier_Bravo",
      peer_id: "Soldier_Alpha",
    });
    assertEquals(current.body.key_hex, seed.body.aes_key);
    assertEquals(current.body.aes_key, undefined, "not for today's form");
  }, { args: ["--open"] });
  await withMemoryKms(async (kms) => {
    const token = kms.enroll("Soldier_Alpha");
    const secure = await kms.post("/get_session_key", {
      client_id: "Soldier_Alpha",
      peer_id: "Soldier_Bravo",
    }, { authorization: `Bearer ${token}` });
    assertEquals(secure.status, 200);
    assertEquals(secure.body.aes_key, undefined, "not without --open");
  });
});

Deno.test("repeated refusals from one host are rate-limited and summarised; another host's still get rows", async () => {
  await withMemoryKms(async (kms) => {
    const hostile = kms.from({ hostname: "10.9.9.9", port: 40000 });
    for (let i = 0; i < 5000; i++) {
      await hostile.post("/reset", {}, {
        authorization: "Bearer " + "x".repeat(43),
      });
    }
    const other = kms.from({ hostname: "127.0.0.2", port: 40001 });
    assertEquals((await other.post("/reset")).status, 401);
    kms.kms.audit.flush({ all: true });
    const rows = kms.kms.store.recentAudit(10_000)
      .filter((e) => e.tag === "AUTH_FAILED")
      .map((e) => e.message);
    assertEquals(rows.length, 7);
    assertEquals(
      rows.filter((m) => m === "source=10.9.9.9:40000 path=/reset").length,
      5,
    );
    assert(rows.includes("source=127.0.0.2:40001 path=/reset"));
    assertMatch(rows.at(-1)!, /^source=10\.9\.9\.9 repeated=4995 in \d+s$/);
    assertEquals(kms.log.filter((l) => l.includes("[AUTH_FAILED]")).length, 7);
  });
});

Deno.test("/events and /sessions: no token 401, a device token 403, an operator's token reads them", async () => {
  await withMemoryKms(async (kms) => {
    const device = kms.enroll("Soldier_Alpha");
    const operator = kms.enroll("Operator", { role: "operator" });
    for (const path of ["/events", "/sessions"]) {
      await assertOperatorOnly(
        (headers) => kms.get(path, headers),
        { path, device },
      );
    }
    const sessions = await kms.get("/sessions", {
      authorization: `Bearer ${operator}`,
    });
    assertEquals([sessions.status, sessions.body], [200, { sessions: [] }]);
    const events = await kms.handle(
      new Request("http://kms/events", {
        headers: { authorization: `Bearer ${operator}` },
      }),
    );
    assertEquals(events.status, 200);
    assertEquals(events.headers.get("content-type"), "text/event-stream");
    await events.body!.cancel();
    // The router guard, relays and scrapers read these without a token.
    for (
      const path of ["/link_status", "/healthz", "/ticket_key", "/metrics"]
    ) {
      assertEquals((await kms.get(path)).status, 200, path);
    }
  });
});

Deno.test("a device's force_attack in /get_session_key is 403 unless --open, and the link is untouched", async () => {
  await withMemoryKms(async (kms) => {
    const device = kms.enroll("Soldier_Alpha");
    const refused = await kms.post("/get_session_key", {
      device_id: "Soldier_Alpha",
      peer_id: "Soldier_Bravo",
      force_attack: true,
    }, { authorization: `Bearer ${device}` });
    assertEquals(refused.status, 403);
    assertEquals(refused.body, {
      error: "forbidden",
      message:
        "force_attack needs an operator: use POST /force_attack with an operator credential",
    });
    assertEquals(kms.kms.link.history, []);
    assertEquals(kms.kms.store.ledgerSize(), 0);
    const plain = await kms.post("/get_session_key", {
      device_id: "Soldier_Alpha",
      peer_id: "Soldier_Bravo",
      force_attack: false,
    }, { authorization: `Bearer ${device}` });
    assertEquals(plain.status, 200);
    assertMatch(plain.body.key_hex as string, /^[0-9a-f]{64}$/);
  });
});

Deno.test("--open: force_attack in /get_session_key puts Eve on the link as /force_attack does, and that request gets no key", async () => {
  await withMemoryKms(async (kms) => {
    const attacked = await kms.post("/get_session_key", {
      device_id: "Soldier_Alpha",
      peer_id: "Soldier_Bravo",
      force_attack: true,
    });
    assertEquals(attacked.status, 200);
    assert((attacked.body.qber as number) > 0.11);
    assertEquals(attacked.body.status, "RED");
    assertEquals(attacked.body.key_hex, undefined);
    assertEquals(kms.kms.store.counter("attacks_detected"), 1);
    assertEquals(kms.kms.link.attackMode, true);
    assertMatch(
      kms.kms.store.recentAudit(10).find((e) => e.tag === "EVE_ACTIVATED")!
        .message,
      /^actor=anonymous source=127\.0\.0\.1:51234 mode=intercept-resend rate=1\.0$/,
    );
  }, { args: ["--open"] });
});

Deno.test("KEY_ISSUED rows are rate-limited per device and ATTACK_DETECTED rows per link, so 60 key requests leave RESET among the 50 recent rows", async () => {
  await withMemoryKms(async (kms) => {
    const alpha = kms.enroll("Soldier_Alpha");
    const operator = kms.enroll("Operator", { role: "operator" });
    await kms.post("/reset", {}, { authorization: `Bearer ${operator}` });
    await requestKeys(kms, {
      device: "Soldier_Alpha",
      token: alpha,
      count: 60,
    });
    assertEquals(kms.kms.store.ledgerSize(), 60, "the ledger keeps every key");
    const recent = kms.kms.store.recentAudit(50);
    assert(recent.some((e) => e.tag === "RESET"), "RESET still shown");
    assertEquals(recent.filter((e) => e.tag === "KEY_ISSUED").length, 5);
    kms.kms.audit.flush({ all: true });
    assertMatch(
      kms.kms.store.recentAudit(1)[0].message,
      /^source=device=Soldier_Alpha repeated=55 in \d+s$/,
    );
    // Under attack every block detects Eve, a few a second: limited too.
    kms.source.stopWhen = () => true;
    kms.kms.link.setAttackMode(true);
    for (let i = 0; i < 20; i++) {
      await kms.source.emit();
    }
    const attacks = kms.kms.store.recentAudit(100).filter((e) =>
      e.tag === "ATTACK_DETECTED"
    );
    assertEquals(attacks.length, 5);
    kms.kms.audit.flush({ all: true });
    assertMatch(
      kms.kms.store.recentAudit(1)[0].message,
      /^source=link repeated=15 in \d+s$/,
    );
  });
});
