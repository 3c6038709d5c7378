/**
 * The KMS as a real process on a real socket, started with its permission
 * set: parallel requests, bad input the process survives, the sandbox, and
 * what a restart keeps. What the handler answers is tested in process
 * (`server_test.ts`, `key_routes_test.ts`, `etsi_routes_test.ts`).
 */

import { assert, assertEquals, assertMatch } from "@std/assert";
import { DatabaseSync } from "node:sqlite";
import { PROJECT_ROOT } from "../common/service_process.ts";
import { delay } from "../common/std.ts";
import {
  enroll,
  removeDataDir,
  requestKeys,
  startKms,
  TEST_LINK_ARGS,
  type TestClient,
  type TestKms,
  waitForPool,
} from "./_test_kms.ts";

/** Rows of `sql` in a test KMS's database (the KMS stopped or running: WAL). */
function query(
  dataDir: string,
  sql: string,
): Record<string, number | string>[] {
  const db = new DatabaseSync(`${PROJECT_ROOT}${dataDir}/kms.db`);
  try {
    return db.prepare(sql).all() as Record<string, number | string>[];
  } finally {
    db.close();
  }
}

/** Resolves once the link has run `count` blocks since the KMS started. */
async function waitForBlocks(kms: TestClient, count: number): Promise<void> {
  while (true) {
    const link = (await kms.get("/link_status")).body.link as {
      blocks: number;
    };
    if (link.blocks >= count) return;
    await delay(100);
  }
}

/** These tests' premise is the seeds' open mode: the KMS runs `--open`. */
async function withKms(
  fn: (kms: TestKms) => Promise<void>,
  options: { args?: string[]; poolBits?: number } = {},
): Promise<void> {
  const kms = await startKms({ ...options, open: true });
  try {
    await fn(kms);
  } finally {
    await kms.stop();
    await removeDataDir(kms.dataDir);
  }
}

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
  }, { poolBits: 16 * 256 });
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
  let kms = await startKms({ open: true });
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
    await kms.stop();
    // The link ran on until the stop: what the database holds then.
    const stored = query(dataDir, "SELECT qber FROM qber_history ORDER BY id")
      .map((r) => r.qber as number).slice(-20);
    const counters = Object.fromEntries(
      query(dataDir, "SELECT name, value FROM counters").map((r) => [
        r.name,
        r.value,
      ]),
    );
    // Restarted with a link 30 times slower (about 1 block a second instead
    // of 33): on a loaded machine 20 fast blocks can run before the first
    // request, and the history then holds none of the stored blocks.
    kms = await startKms({
      dataDir,
      open: true,
      poolBits: 0,
      linkArgs: [...TEST_LINK_ARGS, "--pulse-rate", "3e7"],
    });
    const after = (await kms.get("/link_status")).body;
    assertEquals(after.status, "RED");
    // Blocks run since the restart (still attacked) come after the old ones.
    const fresh = (after.link as { blocks: number }).blocks;
    const history = after.history as number[];
    const kept = history.length - fresh;
    assert(kept > 0, `${fresh} blocks since the restart`);
    assertEquals(history.slice(0, kept), stored.slice(stored.length - kept));
    assertEquals(after.total_keys_issued, counters.total_keys_issued);
    assert(
      (after.attacks_detected as number) >=
        (counters.attacks_detected as number),
    );
    assertEquals(after.attack_mode, true);
    // No key leaves the KMS while RED (issue 15): the operator resets first.
    assertEquals((await kms.post("/reset")).status, 200);
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

Deno.test("one host sending 5,000 bad tokens writes a bounded number of audit rows and console lines, then a summary", async () => {
  const kms = await startKms({ open: false });
  try {
    const bad = { authorization: "Bearer " + "x".repeat(43) };
    for (let batch = 0; batch < 100; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 50 }, () => kms.post("/reset", {}, bad)),
      );
      assert(answers.every((a) => a.status === 401));
    }
    await kms.stop();
    const console = kms.process.output.split("\n").filter((l) =>
      l.includes("[AUTH_FAILED]")
    );
    const logs = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-P=kms-admin", "kms/logs.ts", "--tag", "AUTH_FAILED"],
      env: { KMS_DATA: kms.dataDir, NO_COLOR: "1" },
    }).output();
    const rows = new TextDecoder().decode(logs.stdout).trim().split("\n");
    // 5 rows per 10 s window and a summary per window: the run takes at
    // most a few windows on a loaded machine.
    assert(rows.length <= 30, `${rows.length} rows`);
    assertEquals(console.length, rows.length);
    const repeated = rows.map((r) => /repeated=(\d+) in \d+s$/.exec(r)?.[1])
      .filter((n) => n !== undefined).map(Number);
    assertEquals(
      repeated.reduce((a, b) => a + b, 0) + rows.length - repeated.length,
      5000,
      "every refusal is counted",
    );
    assertMatch(
      rows[0],
      /\[AUTH_FAILED\] source=127\.0\.0\.1:\d+ path=\/reset$/,
    );
  } finally {
    await kms.stop();
    await removeDataDir(kms.dataDir);
  }
});

Deno.test("a secure KMS: 60 key requests leave the operator's RESET among the rows /events replays to an operator", async () => {
  const kms = await startKms({ open: false });
  try {
    const alpha = await enroll(kms.dataDir, "Soldier_Alpha");
    const operator = await enroll(kms.dataDir, "Operator", {
      args: ["--role", "operator"],
    });
    const asOperator = { authorization: `Bearer ${operator}` };
    assertEquals((await kms.post("/reset", {}, asOperator)).status, 200);
    await waitForPool(kms, { bits: 60 * 256 });
    await requestKeys(kms, {
      device: "Soldier_Alpha",
      token: alpha,
      count: 60,
    });
    assertEquals((await fetch(`${kms.url}/events`)).status, 401);
    const events = await fetch(`${kms.url}/events`, {
      headers: asOperator,
      signal: AbortSignal.timeout(10_000),
    });
    assertEquals(events.status, 200);
    const reader = events.body!.pipeThrough(new TextDecoderStream())
      .getReader();
    let seen = "";
    // The replay is sent at once; without the limit, 60 KEY_ISSUED rows
    // push RESET out of its 50 rows and this read times out.
    while (!seen.includes('"tag":"RESET"')) {
      const { value, done } = await reader.read();
      if (done) throw new Error("stream ended before RESET");
      seen += value;
    }
    assertMatch(seen, /"tag":"RESET","message":"actor=Operator source=/);
    await reader.cancel();
  } finally {
    await kms.stop();
    await removeDataDir(kms.dataDir);
  }
});

Deno.test("--retain-rows prunes QBER history, ledger and audit rows at start", async () => {
  let kms = await startKms({ open: true, poolBits: 25 * 256 });
  const { dataDir } = kms;
  const count = (table: string) =>
    query(dataDir, `SELECT count(*) AS n FROM ${table}`)[0].n as number;
  try {
    for (let i = 0; i < 25; i++) {
      await kms.post("/get_session_key", { device_id: `A${i}`, peer_id: "B" });
      await kms.post("/get_session_key", { device_id: "B", peer_id: `A${i}` });
    }
    await waitForBlocks(kms, 25);
    await kms.stop();
    assertEquals(count("key_ledger"), 50);
    assert(count("qber_history") >= 25, "a row per block");
    kms = await startKms({
      dataDir,
      open: true,
      poolBits: 0,
      // A block then lasts hours of link time: none lands before the stop.
      linkArgs: [...TEST_LINK_ARGS, "--pulse-rate", "1000"],
      args: ["--retain-rows", "20"],
    });
    await kms.stop();
    assertEquals(
      [count("key_ledger"), count("qber_history"), count("audit_log")],
      [20, 20, 20],
    );
  } finally {
    await kms.stop();
    await removeDataDir(dataDir);
  }
});

Deno.test("a KMS whose --allow-read leaves out its worker's modules says so and exits 2", async () => {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-P=kms", "--allow-read=./data", "kms/main.ts"],
    cwd: PROJECT_ROOT,
    env: { NO_COLOR: "1" },
    stdout: "null",
  }).output();
  assertEquals(code, 2);
  assertMatch(
    new TextDecoder().decode(stderr),
    /\[KMS\] the link's worker cannot load: no read permission for .*kms\/link_worker\.ts/,
  );
});
