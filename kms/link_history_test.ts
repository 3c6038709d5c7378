import { assert, assertAlmostEquals, assertEquals } from "@std/assert";
import { isLinkHistoryResponse } from "../protocol/mod.ts";
import { blockGains, type HistoryEntry, LinkHistory } from "./link_history.ts";
import { KmsStore } from "./store.ts";
import { withMemoryKms } from "./_test_memory_kms.ts";

const GREEN: Omit<HistoryEntry, "at"> = {
  qber: 0.02,
  rolling_qber: 0.02,
  status: "GREEN",
  eve: "none",
  gains: [0.004, 0.0016, 0.00001],
  single_photon_lower: 57_000,
  secret_bits: 8192,
};

const RETENTION = { maxAgeDays: 30, maxRows: 100_000 };

Deno.test("downsampling keeps each bucket's highest QBER: a one-block spike survives", () => {
  const store = new KmsStore(":memory:");
  const history = new LinkHistory(store, { now: () => 0 });
  for (let i = 0; i < 1000; i++) {
    const spike = i === 617;
    history.record({
      ...GREEN,
      at: 1000 + i * 100,
      qber: spike ? 0.31 : 0.02 + (i % 7) / 1000,
      status: spike ? "YELLOW" : "GREEN",
    });
  }
  const all = history.query({ since: 0, until: 200_000, max: 1000 });
  assertEquals(all.blocks.length, 1000);
  assert(all.blocks.every((b) => b.count === 1));
  const coarse = history.query({ since: 0, until: 200_000, max: 50 });
  assert(isLinkHistoryResponse(coarse));
  assert(coarse.blocks.length <= 50, `${coarse.blocks.length} points`);
  assertEquals(coarse.blocks.reduce((n, b) => n + b.count, 0), 1000);
  const peak = coarse.blocks.find((b) => b.qber === 0.31)!;
  assertEquals([peak.at, peak.status], [1000 + 617 * 100, "YELLOW"]);
  for (let i = 1; i < coarse.blocks.length; i++) {
    assert(coarse.blocks[i - 1].at < coarse.blocks[i].at, "oldest first");
  }
  const window = history.query({ since: 1000, until: 1000 + 99 * 100 });
  assertEquals(window.blocks.length, 100, "since and until are inclusive");
  assertEquals(window.blocks[0].gains, [0.004, 0.0016, 0.00001]);
  store.close();
});

Deno.test("epochs: a reset begins one; a window lists the epochs it overlaps", () => {
  const store = new KmsStore(":memory:");
  const history = new LinkHistory(store, { now: () => 1000 });
  history.record({ ...GREEN, at: 1500 });
  assertEquals(history.newEpoch("Operator", 2000), 2);
  history.record({
    ...GREEN,
    at: 2500,
    gains: null,
    single_photon_lower: null,
  });
  history.newEpoch("Operator_2", 3000);
  const epochs = (since: number, until: number) =>
    history.query({ since, until }).epochs.map((e) => e.epoch);
  assertEquals(epochs(0, 5000), [1, 2, 3]);
  assertEquals(epochs(2100, 2900), [2]);
  assertEquals(epochs(1999, 2000), [1, 2]);
  assertEquals(epochs(3500, 4000), [3]);
  assertEquals(history.query({ since: 0, until: 5000 }).epochs[1], {
    epoch: 2,
    started_at: 2000,
    reset_by: "Operator",
  });
  const second = history.query({ since: 2100, until: 2900 }).blocks[0];
  assertEquals([second.epoch, second.gains, second.single_photon_lower], [
    2,
    null,
    null,
  ]);
  // A reopened history goes on in its last epoch.
  assertEquals(new LinkHistory(store).epoch, 3);
  store.close();
});

Deno.test("prune: 24 h and 100,000 blocks at most, fewer if the retention says so; old epochs go, the current stays", () => {
  const store = new KmsStore(":memory:");
  const day = 86_400_000;
  const history = new LinkHistory(store, { now: () => 0 });
  history.record({ ...GREEN, at: 1000 });
  history.newEpoch("Operator", 2 * day);
  history.record({ ...GREEN, at: 2 * day + 1000 });
  history.record({ ...GREEN, at: 2 * day + 2000 });
  assertEquals(history.prune(RETENTION, 2 * day + 5000), 1, "older than 24 h");
  assertEquals(history.query({ since: 0, until: 3 * day }).epochs.length, 1);
  assertEquals(
    history.prune({ maxAgeDays: 30, maxRows: 1 }, 2 * day + 5000),
    1,
  );
  assertEquals(history.query({ since: 0, until: 3 * day }).blocks.length, 1);
  history.prune(RETENTION, 10 * day);
  assertEquals(history.query({ since: 0, until: 20 * day }), {
    epochs: [{ epoch: 2, started_at: 2 * day, reset_by: "Operator" }],
    blocks: [],
  });
  store.close();
});

Deno.test("gains: sifted detections per pulse of each intensity sent in matching bases", () => {
  const counts = (probability: number, nX: number, nZ: number) => ({
    intensity: 0.5,
    probability,
    nX,
    mX: 0,
    nZ,
    mZ: 0,
  });
  const q = 0.7;
  const gains = blockGains({
    pulses: 10_000_000,
    counts: [
      counts(0.2, 5000, 1000),
      counts(0.55, 3000, 600),
      counts(0.25, 2, 1),
    ],
  }, q);
  const matching = q * q + (1 - q) * (1 - q);
  assertAlmostEquals(gains[0], 6000 / (10_000_000 * 0.2 * matching));
  assertAlmostEquals(gains[2], 3 / (10_000_000 * 0.25 * matching));
});

Deno.test("the KMS: a reset keeps the attack's blocks, in two epochs; GET /link_history is the operator's", async () => {
  await withMemoryKms(async (kms) => {
    const operator = kms.enroll("Operator", { role: "operator" });
    const asOperator = { authorization: `Bearer ${operator}` };
    await kms.source.emit();
    await kms.post("/force_attack", {}, asOperator);
    await kms.post("/reset", {}, asOperator);
    await kms.source.emit();
    assertEquals(
      kms.kms.link.history.length,
      1,
      "the status's history restarted",
    );
    const answer = await kms.get("/link_history", asOperator);
    assertEquals(answer.status, 200);
    const body: unknown = answer.body;
    if (!isLinkHistoryResponse(body)) throw new Error("not a history");
    const { epochs, blocks } = body;
    assertEquals(epochs.map((e) => [e.epoch, e.reset_by]), [
      [1, null],
      [2, "Operator"],
    ]);
    const attacked = blocks.filter((b) => b.eve === "intercept_resend");
    assert(attacked.length >= 1, "the attack's blocks are still there");
    assert(attacked.every((b) => b.epoch === 1 && b.qber > 0.11));
    assertEquals(attacked.at(-1)!.status, "RED");
    assertEquals(blocks.at(-1)!.epoch, 2);
    assertEquals(blocks.at(-1)!.gains?.length, 3);
    for (
      const query of [
        "?since=5&until=4",
        "?max=0",
        "?max=abc",
        "?since=1&since=2",
        "?window=5m",
      ]
    ) {
      const bad = await kms.get(`/link_history${query}`, asOperator);
      assertEquals(bad.status, 400, query);
      assertEquals(typeof bad.body.message, "string");
    }
    const past = await kms.get("/link_history?since=0&until=1", asOperator);
    assertEquals(past.body.blocks, []);
    assertEquals((await kms.get("/link_history")).status, 401);
  });
});
