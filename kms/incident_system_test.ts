/**
 * Issue 18's evidence on a real KMS process: one attack with two devices
 * refused for a while, then a reset, gives one incident, keeps the attack's
 * blocks in the history (two epochs), and survives a restart; the audit
 * query finds LINK_RED and collapses the refusals.
 */

import { assert, assertEquals } from "@std/assert";
import { parse as untypedParseCsv } from "@std/csv/parse";
import { delay } from "../common/std.ts";
import {
  type Incident,
  isAuditQueryResponse,
  isLinkHistoryResponse,
  isLinkStatusResponse,
  MAX_HISTORY_POINTS,
} from "../protocol/mod.ts";
import { waitUntil } from "../testing/wait.ts";
import {
  enroll,
  removeDataDir,
  startKms,
  type TestClient,
} from "./_test_kms.ts";

const parseCsv = untypedParseCsv as (text: string) => string[][];

/** GETs `path` as the operator and checks its body with `valid`. */
async function checked<T>(
  kms: TestClient,
  request: { path: string; headers: Record<string, string> },
  valid: (body: unknown) => body is T,
): Promise<T> {
  const body: unknown = (await kms.get(request.path, request.headers)).body;
  if (!valid(body)) throw new Error(`${request.path}: not the API's shape`);
  return body;
}

const linkStatus = (kms: TestClient, headers: Record<string, string>) =>
  checked(kms, { path: "/link_status", headers }, isLinkStatusResponse);
// Every block, not the default 600 points: past 600 the history keeps each
// bucket's worst block, which would hide attacked blocks from the counts.
const linkHistory = (kms: TestClient, headers: Record<string, string>) =>
  checked(
    kms,
    { path: `/link_history?max=${MAX_HISTORY_POINTS}`, headers },
    isLinkHistoryResponse,
  );

Deno.test("one attack, two devices refused, a reset: one incident with its figures; the history keeps the attack in two epochs; a restart keeps both", async () => {
  let kms = await startKms({ open: false });
  const { dataDir } = kms;
  try {
    const operator = await enroll(dataDir, "Operator", {
      args: ["--role", "operator"],
    });
    const tokens = {
      Soldier_Alpha: await enroll(dataDir, "Soldier_Alpha"),
      Soldier_Bravo: await enroll(dataDir, "Soldier_Bravo"),
    };
    const asOperator = { authorization: `Bearer ${operator}` };
    const attack = await kms.post("/force_attack", {}, asOperator);
    assertEquals(attack.body.status, "RED");
    // Two clients retrying while the link is RED.
    const refused = { Soldier_Alpha: 0, Soldier_Bravo: 0 };
    for (let round = 0; round < 12; round++) {
      for (const [device, token] of Object.entries(tokens)) {
        const answer = await kms.post("/get_session_key", {
          device_id: device,
          peer_id: device === "Soldier_Alpha"
            ? "Soldier_Bravo"
            : "Soldier_Alpha",
        }, { authorization: `Bearer ${token}` });
        assertEquals(answer.body.status, "RED");
        refused[device as keyof typeof refused]++;
      }
      await delay(150);
    }
    const before = await linkStatus(kms, asOperator);
    assertEquals(before.incidents?.open?.key_refusals, 24);
    assertEquals((await kms.post("/reset", {}, asOperator)).status, 200);
    const resetAt = Date.now();
    // Three blocks of the new epoch, counted in the history itself: a count
    // of blocks read before the reset can be met by attacked blocks alone.
    await waitUntil(
      async () =>
        (await linkHistory(kms, asOperator)).blocks
          .filter((b) => b.epoch === 2).length >= 3,
      "three blocks after the reset",
      { timeoutMs: 30_000, intervalMs: 100 },
    );

    const after = await linkStatus(kms, asOperator);
    assertEquals(after.status, "GREEN");
    assertEquals(after.attacks_detected, 1, "one incident, not its blocks");
    assertEquals(after.incidents?.open, null);
    assertEquals(after.incidents?.recent.length, 1);
    const incident = after.incidents!.recent[0];
    assert(incident.opened_at < incident.closed_at!);
    assert(incident.closed_at! <= resetAt);
    assert(incident.peak_qber > 0.11 && incident.first_qber > 0.11);
    assert(incident.peak_qber >= incident.first_qber);
    assert(incident.blocks >= 1);
    assertEquals(incident.key_refusals, 24);
    assertEquals(incident.affected_devices, ["Soldier_Alpha", "Soldier_Bravo"]);
    assertEquals([incident.closed_by, incident.epoch], ["Operator", 1]);

    const history = await linkHistory(kms, asOperator);
    assertEquals(history.epochs.map((e) => [e.epoch, e.reset_by]), [
      [1, null],
      [2, "Operator"],
    ]);
    const attacked = history.blocks.filter((b) => b.eve === "intercept_resend");
    assert(attacked.length >= incident.blocks, "the attack's blocks stay");
    assert(attacked.every((b) => b.epoch === 1 && b.qber > 0.11));
    assert(attacked.some((b) => b.status === "RED"));
    assert(history.blocks.some((b) => b.epoch === 2 && b.eve === "none"));
    // The first attacked block may still leave the link YELLOW: outside.
    assert(Math.max(...attacked.map((b) => b.qber)) >= incident.peak_qber);

    const acknowledged = await kms.post("/incidents/acknowledge", {
      incident_id: incident.id,
    }, asOperator);
    assertEquals(acknowledged.status, 200);
    assertEquals(
      (acknowledged.body as unknown as Incident).acknowledged_by,
      "Operator",
    );
    const ack = await kms.get("/audit?tag=ALERT_ACKNOWLEDGED", asOperator);
    assertEquals(
      (ack.body.rows as { message: string }[]).map((r) => r.message),
      [`incident=${incident.id} by=Operator`],
    );
    assertEquals(
      (await linkStatus(kms, asOperator)).incidents?.recent[0].acknowledged_by,
      "Operator",
    );

    const red = (await kms.get("/audit?tag=LINK_RED", asOperator)).body;
    if (!isAuditQueryResponse(red)) throw new Error("not an audit page");
    assertEquals(red.rows.length, 1);
    // The rate limiter's summaries arrive once their 10 s windows end.
    let collapsed: { device: string; count: number }[] = [];
    for (let tries = 0; tries < 150; tries++) {
      collapsed =
        (await kms.get("/audit?tag=KEY_REFUSED&collapse=1", asOperator))
          .body.rows as { device: string; count: number }[];
      if (collapsed.reduce((n, r) => n + r.count, 0) >= 24) break;
      await delay(100);
    }
    assertEquals(
      collapsed.map((r) => [r.device, r.count]).sort(),
      [["Soldier_Alpha", 12], ["Soldier_Bravo", 12]],
    );
    const csv = await kms.get("/audit?format=csv&collapse=1", asOperator);
    assertEquals(
      csv.headers.get("content-disposition")?.startsWith("attachment"),
      true,
    );
    const table = parseCsv(csv.text);
    assertEquals(table[0].slice(0, 3), ["id", "at", "tag"]);
    assert(table.slice(1).some((row) => row[2] === "LINK_RED"));
    for (
      const query of [
        "/audit?limit=5000",
        "/audit?tag=lower",
        "/link_history?max=0",
      ]
    ) {
      assertEquals((await kms.get(query, asOperator)).status, 400, query);
    }

    await kms.stop();
    kms = await startKms({ dataDir, open: false, poolBits: 0 });
    const restarted = await linkStatus(kms, asOperator);
    assertEquals(restarted.attacks_detected, 1);
    assertEquals(restarted.incidents?.recent[0], {
      ...incident,
      acknowledged_by: "Operator",
      acknowledged_at: restarted.incidents!.recent[0].acknowledged_at,
    });
    const kept = await linkHistory(kms, asOperator);
    assertEquals(kept.epochs.map((e) => e.epoch), [1, 2]);
    assert(
      kept.blocks.filter((b) => b.eve === "intercept_resend").length >=
        attacked.length,
    );
  } finally {
    await kms.stop();
    await removeDataDir(dataDir);
  }
});
