import { assert, assertEquals } from "@std/assert";
import { parse as untypedParseCsv } from "@std/csv/parse";
import { DatabaseSync } from "node:sqlite";
import { isAuditQueryResponse } from "../protocol/mod.ts";
import { AUDIT_CSV_COLUMNS, auditCsv, queryAudit } from "./audit_query.ts";
import { KmsStore } from "./store.ts";
import { withMemoryKms } from "./_test_memory_kms.ts";
import { withDatabaseFile } from "./_test_database_file.ts";

const parseCsv = untypedParseCsv as (text: string) => string[][];

/** The rows an attack with two devices retrying leaves, oldest first. */
function attackLog(store: KmsStore): void {
  store.audit("KEY_ISSUED", "device=Soldier_Alpha peer=Soldier_Bravo");
  store.audit("LINK_RED", "from=YELLOW rolling_qber=0.140");
  store.audit("POOL_FLUSHED", "bits=4096 reason=link_red");
  for (let i = 0; i < 5; i++) {
    store.audit(
      "KEY_REFUSED",
      "device=Soldier_Alpha peer=Soldier_Bravo status=RED",
    );
    store.audit(
      "ATTACK_DETECTED",
      "qber=0.262 threshold=0.11 eve=intercept_resend",
    );
    store.audit(
      "KEY_REFUSED",
      "device=Soldier_Bravo peer=Soldier_Alpha status=RED",
    );
  }
  store.audit("KEY_REFUSED", "source=device=Soldier_Alpha repeated=29 in 10s");
  store.audit("RESET", "actor=Operator source=127.0.0.1:4000 attack=off");
  store.audit("KEY_ISSUED", "device=Soldier_Alpha peer=Soldier_Bravo");
}

Deno.test("rows carry the device they name, filled on insert; filters by tag, device and text", () => {
  const store = new KmsStore(":memory:");
  attackLog(store);
  const all = queryAudit(store, {});
  assertEquals(all.rows.length, 21);
  assertEquals(all.next_before, null);
  assertEquals(all.rows[0].tag, "KEY_ISSUED", "newest first");
  assertEquals(
    all.rows.map((r) => r.device).filter((d) => d === null).length,
    8,
  );
  assertEquals(
    queryAudit(store, { tag: "LINK_RED" }).rows.map((r) => r.message),
    [
      "from=YELLOW rolling_qber=0.140",
    ],
  );
  const bravo = queryAudit(store, { device: "Soldier_Bravo" }).rows;
  assertEquals(bravo.length, 5);
  assert(bravo.every((r) => r.tag === "KEY_REFUSED"));
  assertEquals(
    queryAudit(store, { device: "Soldier_Alpha", tag: "KEY_ISSUED" }).rows
      .length,
    2,
  );
  assertEquals(
    queryAudit(store, { q: "ROLLING_QBER" }).rows.length,
    1,
    "any case",
  );
  assertEquals(queryAudit(store, { q: "reset" }).rows.length, 1, "tags too");
  assertEquals(queryAudit(store, { q: "%" }).rows.length, 0, "% is itself");
  assertEquals(queryAudit(store, { q: "_" }).rows.length, 20, "_ is itself");
  const row = all.rows[0];
  assertEquals([row.count, row.first_at, row.last_at], [1, row.at, row.at]);
  assertEquals(row.at, Date.parse(store.recentAudit(1)[0].at));
  store.close();
});

Deno.test("collapse: one row per device's run of refusals, with its count and times; LINK_RED stays findable", () => {
  const store = new KmsStore(":memory:");
  attackLog(store);
  const page = queryAudit(store, { collapse: true });
  assertEquals(
    page.rows.map((r) => [r.tag, r.device, r.count]),
    [
      ["KEY_ISSUED", "Soldier_Alpha", 1],
      ["RESET", null, 1],
      ["KEY_REFUSED", "Soldier_Alpha", 29 + 5],
      ["KEY_REFUSED", "Soldier_Bravo", 5],
      ["ATTACK_DETECTED", null, 5],
      ["POOL_FLUSHED", null, 1],
      ["LINK_RED", null, 1],
      ["KEY_ISSUED", "Soldier_Alpha", 1],
    ],
  );
  const alpha = page.rows[2];
  assert(alpha.first_at <= alpha.last_at);
  assertEquals(alpha.message, "source=device=Soldier_Alpha repeated=29 in 10s");
  // Another row of the same device ends its run.
  store.audit(
    "KEY_REFUSED",
    "device=Soldier_Alpha peer=Soldier_Bravo status=RED",
  );
  assertEquals(
    queryAudit(store, { collapse: true, device: "Soldier_Alpha" }).rows.map((
      r,
    ) => [r.tag, r.count]),
    [["KEY_REFUSED", 1], ["KEY_ISSUED", 1], ["KEY_REFUSED", 34], [
      "KEY_ISSUED",
      1,
    ]],
  );
  // A reset between two refusals of a device: two runs.
  store.audit("RESET", "actor=Operator source=127.0.0.1:4000 attack=off");
  store.audit(
    "KEY_REFUSED",
    "device=Soldier_Alpha status=GREEN reason=pool_empty",
  );
  assertEquals(
    queryAudit(store, { collapse: true, limit: 3 }).rows.map((
      r,
    ) => [r.tag, r.count]),
    [["KEY_REFUSED", 1], ["RESET", 1], ["KEY_REFUSED", 1]],
  );
  store.close();
});

Deno.test("pages: next_before leads through every row once, collapsed or not", () => {
  const store = new KmsStore(":memory:");
  attackLog(store);
  for (const collapse of [false, true]) {
    const whole = queryAudit(store, { collapse }).rows;
    const seen: number[] = [];
    let before: number | undefined;
    let counted = 0;
    for (let pages = 0; pages < 30; pages++) {
      const page = queryAudit(store, { collapse, limit: 3, before });
      assert(page.rows.length <= 3);
      seen.push(...page.rows.map((r) => r.id));
      counted += page.rows.reduce((n, r) => n + r.count, 0);
      if (page.next_before === null) break;
      before = page.next_before;
    }
    assertEquals(new Set(seen).size, seen.length, "no row twice");
    assertEquals(
      counted,
      whole.reduce((n, r) => n + r.count, 0),
      `collapse=${collapse}`,
    );
  }
  const first = queryAudit(store, { limit: 2 });
  assertEquals(first.next_before, first.rows[1].id);
  store.close();
});

Deno.test("CSV: RFC 4180 with a header line; it parses back", () => {
  const store = new KmsStore(":memory:");
  store.audit(
    "LINK_WORKER_FAILED",
    'error="out of memory, \\"twice\\"" restart_in=1000ms',
  );
  attackLog(store);
  const rows = queryAudit(store, { collapse: true }).rows;
  const csv = auditCsv(rows);
  assert(csv.endsWith("\r\n"));
  const parsed = parseCsv(csv);
  assertEquals(parsed[0], [...AUDIT_CSV_COLUMNS]);
  assertEquals(parsed.length, rows.length + 1);
  const last = parsed.at(-1)!;
  assertEquals(last[2], "LINK_WORKER_FAILED");
  assertEquals(last[7], 'error="out of memory, \\"twice\\"" restart_in=1000ms');
  assertEquals(parsed[3][4], "34");
  assertEquals(parsed[3][3], "Soldier_Alpha");
  assertEquals(new Date(parsed[3][1]).getTime(), rows[2].at);
  store.close();
});

Deno.test("an older database's audit rows get their device column, filled from the messages", async () => {
  await withDatabaseFile((path) => {
    const old = new DatabaseSync(path);
    old.exec(`CREATE TABLE audit_log (
      id INTEGER PRIMARY KEY AUTOINCREMENT, tag TEXT NOT NULL,
      message TEXT NOT NULL, at TEXT NOT NULL);
      INSERT INTO audit_log (tag, message, at) VALUES
        ('KEY_REFUSED', 'device=Soldier_Alpha status=RED', '2026-01-01T00:00:00.000Z'),
        ('ENROLLED', 'sae=SAE_A role=device', '2026-01-01T00:00:01.000Z'),
        ('RESET', 'actor=Operator', '2026-01-01T00:00:02.000Z');`);
    old.close();
    const store = new KmsStore(path);
    assertEquals(
      queryAudit(store, {}).rows.map((r) => r.device),
      [null, "SAE_A", "Soldier_Alpha"],
    );
    assertEquals(queryAudit(store, { device: "SAE_A" }).rows.length, 1);
    const plan = store.statement(
      "EXPLAIN QUERY PLAN SELECT id FROM audit_log WHERE device = ? ORDER BY id DESC",
    ).all("SAE_A") as { detail: string }[];
    assert(plan.some((p) => p.detail.includes("audit_log_device")), "indexed");
    store.close();
  });
});

Deno.test("GET /audit: the operator's; JSON or a CSV attachment; bad parameters 400", async () => {
  await withMemoryKms(async (kms) => {
    const operator = kms.enroll("Operator", { role: "operator" });
    const device = kms.enroll("Soldier_Alpha");
    const asOperator = { authorization: `Bearer ${operator}` };
    await kms.post("/force_attack", {}, asOperator);
    for (let i = 0; i < 12; i++) {
      await kms.post("/get_session_key", {
        device_id: "Soldier_Alpha",
        peer_id: "Soldier_Bravo",
      }, { authorization: `Bearer ${device}` });
    }
    kms.kms.audit.flush({ all: true });
    const red = await kms.get("/audit?tag=LINK_RED", asOperator);
    assertEquals(red.status, 200);
    const body: unknown = red.body;
    if (!isAuditQueryResponse(body)) throw new Error("not an audit page");
    assertEquals(body.rows.map((r) => r.tag), ["LINK_RED"]);
    const collapsed = await kms.get(
      "/audit?collapse=1&tag=KEY_REFUSED",
      asOperator,
    );
    const refusals = collapsed.body.rows as { device: string; count: number }[];
    assertEquals(refusals.map((r) => [r.device, r.count]), [[
      "Soldier_Alpha",
      12,
    ]]);
    const csv = await kms.get("/audit?format=csv&limit=2", asOperator);
    assertEquals(csv.status, 200);
    assertEquals(
      csv.headers.get("content-type"),
      "text/csv; charset=utf-8; header=present",
    );
    assertEquals(
      csv.headers.get("content-disposition"),
      'attachment; filename="qstcs-audit.csv"',
    );
    assertEquals(parseCsv(csv.text).length, 3);
    assert(Number(csv.headers.get("x-next-before")) > 0);
    for (
      const query of [
        "limit=0",
        "tag=x y",
        "collapse=2",
        "format=xml",
        "page=2",
        "before=-1",
      ]
    ) {
      const bad = await kms.get(`/audit?${query}`, asOperator);
      assertEquals(bad.status, 400, query);
      assertEquals(typeof bad.body.message, "string");
    }
    assertEquals((await kms.get("/audit")).status, 401);
    assertEquals(
      (await kms.get("/audit", { authorization: `Bearer ${device}` })).status,
      403,
    );
  });
});
