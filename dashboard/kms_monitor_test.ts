import { assertEquals, assertStringIncludes } from "@std/assert";
import { enroll, removeDataDir, startKms } from "../kms/_test_kms.ts";
import { FakeKms } from "./_test_fake_kms.ts";
import { waitUntil } from "../testing/wait.ts";
import { KmsMonitor } from "./kms_monitor.ts";
import type { SocEvent } from "./soc_state.ts";

function fakeMonitor(kms: FakeKms, lines: string[] = []): KmsMonitor {
  return new KmsMonitor({
    kmsUrl: "http://kms.test",
    fetch: kms.fetch,
    retryMs: 20,
    pollMs: 50,
    log: (line) => lines.push(line),
  });
}

Deno.test("follows the stream, polls counters, and recovers after an outage", async () => {
  const kms = new FakeKms();
  const lines: string[] = [];
  const monitor = fakeMonitor(kms, lines);
  const events: SocEvent[] = [];
  monitor.subscribe((event) => events.push(event));
  monitor.start();
  try {
    await waitUntil(() => monitor.state.kms === "live", "live");
    assertEquals(monitor.state.status, "GREEN");
    assertEquals(monitor.state.history.map((p) => p.qber), [0.02]);

    kms.linkStatus = { ...kms.linkStatus, total_keys_issued: 5 };
    kms.emit("link", {
      status: "RED",
      qber: 0.25,
      rolling_qber: 0.066,
      eve: true,
      qubits: 2048,
      time: "T",
    });
    await waitUntil(() => monitor.state.keysIssued === 5, "counters");
    assertEquals(monitor.state.status, "RED");
    assertEquals(monitor.state.chatBlocked, true);

    kms.stop();
    await waitUntil(() => monitor.state.kms === "unreachable", "unreachable");
    assertEquals(monitor.state.status, "RED", "the last known status stays");
    kms.linkStatus = { ...kms.linkStatus, status: "GREEN", history: [] };
    kms.start();
    await waitUntil(() => monitor.state.kms === "live", "live again");
    assertEquals([monitor.state.status, monitor.state.history], ["GREEN", []]);
    assertEquals(
      events.filter((e) => e.type === "kms").map((e) =>
        e.type === "kms" && e.kms
      ),
      ["live", "unreachable", "live"],
    );
    assertEquals(
      lines.filter((l) => l.startsWith("KMS unreachable")).length,
      1,
    );
  } finally {
    await monitor.close();
  }
  assertEquals(kms.subscribers, 0);
});

Deno.test("a KMS that stops answering polls is resubscribed", async () => {
  const kms = new FakeKms();
  const monitor = fakeMonitor(kms);
  const subscriptions = () =>
    kms.requests.filter((request) => request === "GET /events").length;
  monitor.start();
  try {
    await waitUntil(() => monitor.state.kms === "live", "live");
    kms.pollsFail = true;
    await waitUntil(() => subscriptions() >= 3, "resubscriptions");
  } finally {
    await monitor.close();
  }
});

Deno.test("router age comes from the KMS's Date header", async () => {
  const kms = new FakeKms();
  kms.date = "Mon, 23 Feb 2026 05:00:30 GMT";
  kms.linkStatus = {
    ...kms.linkStatus,
    router_last_seen: "2026-02-23T05:00:00.000Z",
  };
  const monitor = fakeMonitor(kms);
  monitor.start();
  try {
    await waitUntil(
      () => monitor.state.routerAgeSeconds !== null,
      "router age",
    );
    assertEquals(monitor.state.routerAgeSeconds, 30);
  } finally {
    await monitor.close();
  }
});

Deno.test("operator actions report the KMS's answer, refusal or absence", async () => {
  const kms = new FakeKms();
  const monitor = fakeMonitor(kms);
  assertEquals(await monitor.act("force_attack"), {
    ok: true,
    message: "Attack simulated: link RED, QBER 25.0%",
  });
  assertEquals((await monitor.act("reset")).ok, true);
  kms.actionResponse = () =>
    Response.json({ error: "busy", message: "try later" }, { status: 503 });
  assertEquals(await monitor.act("reset"), {
    ok: false,
    message: "the KMS refused (503): try later",
  });
  kms.stop();
  assertEquals(await monitor.act("force_attack"), {
    ok: false,
    message: "KMS unreachable at http://kms.test",
  });
  assertEquals(kms.requests.filter((r) => r.startsWith("POST")), [
    "POST /force_attack",
    "POST /reset",
    "POST /reset",
    "POST /force_attack",
  ]);
  await monitor.close();
});

Deno.test("the operator's token goes on every /events subscription, none without one", async () => {
  const kms = new FakeKms();
  const monitor = new KmsMonitor({
    kmsUrl: "http://kms.test",
    fetch: kms.fetch,
    retryMs: 20,
    log: () => {},
    operatorToken: "operator-token",
  });
  monitor.start();
  try {
    await waitUntil(() => monitor.state.kms === "live", "live");
    kms.stop();
    await waitUntil(() => monitor.state.kms === "unreachable", "unreachable");
    kms.start();
    await waitUntil(() => monitor.state.kms === "live", "live again");
  } finally {
    await monitor.close();
  }
  assertEquals(kms.eventsAuthorizations, [
    "Bearer operator-token",
    "Bearer operator-token",
  ]);
  const anonymous = new FakeKms();
  const seedMonitor = fakeMonitor(anonymous);
  seedMonitor.start();
  await waitUntil(() => seedMonitor.state.kms === "live", "live");
  await seedMonitor.close();
  assertEquals(anonymous.eventsAuthorizations, [null]);
});

Deno.test("a secure KMS streams /events to the monitor holding an operator token, and refuses it without one", async () => {
  const kms = await startKms({ open: false });
  const lines: string[] = [];
  const anonymous = new KmsMonitor({
    kmsUrl: kms.url,
    retryMs: 100,
    log: (line) => lines.push(line),
  });
  let monitor: KmsMonitor | undefined;
  try {
    anonymous.start();
    await waitUntil(
      () => lines.some((l) => l.includes("GET /events answered 401")),
      "the 401",
    );
    assertEquals(anonymous.state.kms, "unreachable");
    // Its refusals stop here; their summary row may still come later.
    await anonymous.close();
    monitor = new KmsMonitor({
      kmsUrl: kms.url,
      retryMs: 100,
      log: () => {},
      operatorToken: await enroll(kms.dataDir, "Operator", {
        args: ["--role", "operator"],
      }),
    });
    monitor.start();
    await waitUntil(() => monitor!.state.kms === "live", "live");
    await monitor.act("reset");
    // The operator's RESET row arrives, whatever the KMS writes after it
    // (the summary of the anonymous monitor's refused subscriptions).
    await waitUntil(
      () =>
        monitor!.state.audit.some((row) =>
          row.tag === "RESET" && row.message.startsWith("actor=Operator ")
        ),
      "the RESET row streamed",
    );
  } finally {
    await anonymous.close();
    await monitor?.close();
    await kms.stop();
    await removeDataDir(kms.dataDir);
  }
});

Deno.test("a stream of key events does not starve the counters; blocks poll nothing", async () => {
  const kms = new FakeKms();
  // The poll after an event comes 100 ms after it; keys come every 20 ms.
  const monitor = new KmsMonitor({
    kmsUrl: "http://kms.test",
    fetch: kms.fetch,
    pollMs: 60_000,
    log: () => {},
  });
  monitor.start();
  let keys = 0;
  const stream = setInterval(() => {
    kms.finishBlock();
    kms.emit("key", {
      device: "Soldier_Alpha",
      peer: null,
      key_id: `k${keys++}`,
      qber: 0.02,
      kind: "etsi",
      time: "T",
    });
  }, 20);
  try {
    await waitUntil(() => monitor.state.kms === "live", "live");
    kms.linkStatus = { ...kms.linkStatus, total_keys_issued: 3 };
    await waitUntil(
      () => monitor.state.keysIssued === 3,
      "the counters polled while keys stream",
      { timeoutMs: 2_000 },
    );
    clearInterval(stream);
    const polls = () =>
      kms.requests.filter((r) => r === "GET /link_status").length;
    // Let the poll the last key asked for come and go.
    let settled = -1;
    await waitUntil(async () => {
      const now = polls();
      if (now === settled) return true;
      settled = now;
      await new Promise((resolve) => setTimeout(resolve, 300));
      return false;
    }, "the polls to settle");
    const before = polls();
    for (let i = 0; i < 20; i++) kms.finishBlock();
    await waitUntil(() => (monitor.state.link?.blocks ?? 0) >= 20, "blocks");
    await new Promise((resolve) => setTimeout(resolve, 300));
    assertEquals(polls(), before, "blocks alone ask the KMS nothing");
  } finally {
    clearInterval(stream);
    await monitor.close();
  }
});

Deno.test({
  name: "with the real KMS: state, live runs, Force Attack, Reset, restart",
  async fn() {
    let kms = await startKms({ open: true });
    const monitor = new KmsMonitor({
      kmsUrl: kms.url,
      retryMs: 100,
      log: () => {},
    });
    monitor.start();
    try {
      await waitUntil(() => monitor.state.kms === "live", "live");
      assertEquals(monitor.state.status, "GREEN");
      // Keys come from the link's pool: the first block must have filled it.
      await waitUntil(
        () => (monitor.state.link?.poolBits ?? 0) > 0,
        "key in the pool",
        { timeoutMs: 10_000 },
      );
      await kms.post("/get_session_key", {
        device_id: "Soldier_Alpha",
        peer_id: "Soldier_Bravo",
      });
      await waitUntil(() => monitor.state.keysIssued === 1, "a key counted");
      // The continuous link puts each block's QBER in the history by itself.
      assertEquals(monitor.state.history.length >= 1, true);
      // Its blocks and its settings come with the stream.
      const blocks = monitor.state.link?.blocks ?? 0;
      await waitUntil(
        () => (monitor.state.link?.blocks ?? 0) > blocks,
        "a block of the link",
        { timeoutMs: 10_000 },
      );
      assertEquals(monitor.state.link?.settings.simulated, true);
      assertEquals(monitor.state.link!.series.length >= 1, true);
      assertEquals(monitor.state.audit.at(-1)?.tag, "KEY_ISSUED");

      const attack = await monitor.act("force_attack");
      assertStringIncludes(attack.message, "link RED");
      await waitUntil(() => monitor.state.status === "RED", "RED");
      assertEquals(monitor.state.history.at(-1)!.qber > 0.11, true);
      await waitUntil(
        () => monitor.state.attacksDetected >= 1,
        "attack counted",
      );

      await monitor.act("reset");
      await waitUntil(() => monitor.state.status === "GREEN", "GREEN");

      await kms.stop();
      await waitUntil(() => monitor.state.kms === "unreachable", "unreachable");
      kms = await startKms({
        port: Number(new URL(kms.url).port),
        dataDir: kms.dataDir,
        open: true,
      });
      await waitUntil(() => monitor.state.kms === "live", "live again", {
        timeoutMs: 10_000,
      });
      assertEquals(monitor.state.status, "GREEN");
      assertEquals(monitor.state.keysIssued, 1, "counters persist in the KMS");
    } finally {
      await monitor.close();
      await kms.stop();
      await removeDataDir(kms.dataDir);
    }
  },
});
