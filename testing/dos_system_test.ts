/**
 * One host cannot stop the KMS, the relay or the dashboard, with
 * real processes on loopback: unfinished and idle connections are closed
 * within the documented timeouts; a KMS whose open-files limit is lowered
 * to 256 survives a flood of thousands of sockets from 127.0.0.1 while
 * 127.0.0.2 is still answered; a server whose accepts do fail with EMFILE
 * serves again once descriptors are free. Prints the figures it measured.
 */
import { assert, assertEquals } from "@std/assert";
import { freePort, startService } from "../common/service_process.ts";
import { startDashboard } from "../dashboard/_test_dashboard.ts";
import { removeDataDir, startKms } from "../kms/_test_kms.ts";
import { startRelay, TestClient } from "../relay/_test_relay.ts";
import {
  flood,
  type HeldSocket,
  type HoldMode,
  holdSocket,
  requestFrom,
} from "./raw_sockets.ts";
import { retry, waitUntil } from "./wait.ts";

// The services' defaults (common/guarded_server.ts), plus the 1 s check
// interval of node:http and slack for a loaded machine.
const HEADERS_TIMEOUT_MS = 10_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
const CHECK_INTERVAL_MS = 1000;
const SLACK_MS = 1500;
const PER_ADDRESS_CAP = 64;
const FLOOD_SOCKETS = 3000;
// Each retry opens a connection to a server under attack: not too often.
const SLOW_RETRY = { intervalMs: 200 };

async function residentMiB(pid: number): Promise<number> {
  const { stdout } = await new Deno.Command("ps", {
    args: ["-o", "rss=", "-p", String(pid)],
  }).output();
  return Math.round(Number(new TextDecoder().decode(stdout).trim()) / 1024);
}

// Waits until the server has closed at least the sockets over its
// per-address cap (at most 10 s): it closes them as it accepts them, which a
// loaded machine may take a while to get through. The caller asserts the
// count, with the figures in its message.
async function overCapClosed(attack: { closedByServer(): number }) {
  await waitUntil(
    () => attack.closedByServer() >= FLOOD_SOCKETS - PER_ADDRESS_CAP,
    "the sockets over the cap closed",
    { timeoutMs: 10_000 },
  ).catch(() => {});
}

interface Closes {
  mode: HoldMode;
  count: number;
  maxMs: number;
  minMs: number;
  answers: string[];
}

/** Holds 50 sockets (17 idle, 17 partial, 16 keep-alive) until closed. */
async function holdFifty(port: number): Promise<Closes[]> {
  const modes: HoldMode[] = Array.from(
    { length: 50 },
    (_, i) => i < 17 ? "idle" : i < 34 ? "partial" : "keepalive",
  );
  const held: [HoldMode, HeldSocket][] = modes.map((
    mode,
  ) => [mode, holdSocket(port, mode)]);
  const results = await Promise.all(
    held.map(async ([mode, socket]) => ({ mode, ...await socket.closed })),
  );
  return (["idle", "partial", "keepalive"] as const).map((mode) => {
    const mine = results.filter((result) => result.mode === mode);
    const times = mine.map((result) => result.afterMs);
    return {
      mode,
      count: mine.length,
      maxMs: Math.round(Math.max(...times)),
      minMs: Math.round(Math.min(...times)),
      answers: [...new Set(mine.map((r) => r.received.split("\r\n")[0]))],
    };
  });
}

function assertClosedInTime(service: string, closes: Closes[]): void {
  for (const { mode, count, maxMs, minMs, answers } of closes) {
    const timeout = mode === "keepalive"
      ? KEEP_ALIVE_TIMEOUT_MS
      : HEADERS_TIMEOUT_MS;
    console.log(
      `${service}: ${count} ${mode} sockets closed after ${minMs}-${maxMs} ms (${
        answers.join(", ") || "nothing sent"
      })`,
    );
    assert(
      maxMs <= timeout + CHECK_INTERVAL_MS + SLACK_MS,
      `${service} ${mode}: ${maxMs} ms`,
    );
    if (mode !== "keepalive") {
      assert(minMs >= timeout - 500, `${service} ${mode} early: ${minMs} ms`);
    }
    if (mode === "partial") {
      assertEquals(answers, ["HTTP/1.1 408 Request Timeout"]);
    }
  }
}

Deno.test({
  name:
    "the KMS (ulimit -n 256) and the dashboard close slow sockets in time and outlive a flood from one host",
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const kms = await startKms({ openFilesLimit: 256 });
  const kmsPort = Number(new URL(kms.url).port);
  const dashboard = await startDashboard(kms.url).catch(async (error) => {
    await kms.stop();
    await removeDataDir(kms.dataDir);
    throw error;
  });
  const dashboardPort = Number(new URL(dashboard.url).port);
  try {
    const before = await residentMiB(kms.process.pid);
    const [kmsCloses, dashboardCloses] = await Promise.all([
      holdFifty(kmsPort),
      holdFifty(dashboardPort),
    ]);
    assertClosedInTime("KMS", kmsCloses);
    assertClosedInTime("dashboard", dashboardCloses);

    const floods = await Promise.all([
      flood(kmsPort, FLOOD_SOCKETS),
      flood(dashboardPort, FLOOD_SOCKETS),
    ]);
    await Promise.all(floods.map(overCapClosed));
    const during = await residentMiB(kms.process.pid);
    // Another host is served while 127.0.0.1 holds all it may.
    const kmsOther = await requestFrom(`${kms.url}/healthz`, "127.0.0.2");
    assertEquals(kmsOther.status, 200);
    const dashboardOther = await requestFrom(`${dashboard.url}/`, "127.0.0.2");
    assert(dashboardOther.status < 500, `dashboard: ${dashboardOther.status}`);
    const [kmsRefused, dashboardRefused] = floods.map((f) =>
      f.closedByServer()
    );
    console.log(
      `flood of ${FLOOD_SOCKETS} sockets from 127.0.0.1 at each: the KMS closed ` +
        `${kmsRefused} at once, the dashboard ${dashboardRefused}; KMS resident ` +
        `${before} MiB before, ${during} MiB during`,
    );
    assert(kmsRefused >= FLOOD_SOCKETS - PER_ADDRESS_CAP, `KMS: ${kmsRefused}`);
    assert(
      dashboardRefused >= FLOOD_SOCKETS - PER_ADDRESS_CAP,
      `dashboard: ${dashboardRefused}`,
    );
    await Promise.all(floods.map((f) => f.release()));

    // Both are up and answer the flooding host again.
    const health = await retry(
      () => requestFrom(`${kms.url}/healthz`, "127.0.0.1"),
      SLOW_RETRY,
    );
    assertEquals(health.status, 200);
    const page = await retry(
      () => requestFrom(`${dashboard.url}/`, "127.0.0.1"),
      SLOW_RETRY,
    );
    assert(page.status < 500, `dashboard: ${page.status}`);
  } finally {
    await dashboard.process.stop();
    const status = await kms.process.stop();
    await removeDataDir(kms.dataDir);
    assert(
      kms.process.output.includes("[KMS] shutting down"),
      kms.process.tail(),
    );
    assertEquals(status.code, 0, kms.process.tail());
  }
  // Summarised at the stop at the latest.
  const refusals = kms.process.output.match(
    /\[KMS\] refused \d+ connections from 127\.0\.0\.1 in the last 10 s[^\n]*/g,
  );
  console.log(refusals?.join("\n"));
  assert(refusals, kms.process.tail());
  assertEquals(kms.process.output.includes("EMFILE"), false);
});

Deno.test({
  name:
    "the relay (ulimit -n 256) outlives a flood from one host: another host is answered during it, devices register and chat after it",
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  await using relay = await startRelay({ open: true, openFilesLimit: 256 });
  const before = await residentMiB(relay.pid);
  const attack = await flood(relay.port, FLOOD_SOCKETS);
  await overCapClosed(attack);
  const during = await residentMiB(relay.pid);
  const refused = attack.closedByServer();
  console.log(
    `flood of ${FLOOD_SOCKETS} sockets from 127.0.0.1 at the relay: closed ` +
      `${refused} at once; resident ${before} MiB before, ${during} MiB during`,
  );
  assert(refused >= FLOOD_SOCKETS - PER_ADDRESS_CAP, `relay: ${refused}`);
  // The relay's health from another host, during the flood.
  const health = await requestFrom(
    `http://127.0.0.1:${relay.port}/healthz`,
    "127.0.0.2",
  );
  assertEquals(health.status, 200);
  await attack.release();
  // Two devices register and chat once the flood is gone.
  await using alpha = await retry(
    () => TestClient.connect(relay.url),
    SLOW_RETRY,
  );
  await using bravo = await retry(
    () => TestClient.connect(relay.url),
    SLOW_RETRY,
  );
  await alpha.register("Soldier_Alpha");
  await bravo.register("Soldier_Bravo");
  alpha.send({
    type: "chat",
    sender: "Soldier_Alpha",
    recipient: "Soldier_Bravo",
    nonce: "00".repeat(12),
    ciphertext: "ab".repeat(32),
    timestamp: Math.floor(Date.now() / 1000),
    id: "m-1",
    key_id: "k-1",
    seq: 0,
  });
  const { frame } = await bravo.nextOfType("chat");
  assertEquals(frame.id, "m-1");
});

Deno.test({
  name:
    "a server whose accepts fail with EMFILE (ulimit -n 128, cap above it) says so and serves again",
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const port = freePort();
  const server = await startService({
    permissionSet: "test",
    entry: "testing/guarded_echo_server.ts",
    args: [String(port), "1000", "1000"],
    openFilesLimit: 128,
  }, { ready: /listening on/ });
  try {
    const attack = await flood(port, 400);
    await server.waitForLine(/out of file descriptors \(EMFILE\)/, 5000);
    await attack.release();
    await server.waitForLine(/file descriptors free again/, 5000);
    const answer = await retry(
      () => requestFrom(`http://127.0.0.1:${port}/`, "127.0.0.1", 2000),
      SLOW_RETRY,
    );
    assertEquals([answer.status, answer.text], [200, "ok"]);
    console.log(server.output.match(/^.*(EMFILE|free again).*$/gm)?.join("\n"));
  } finally {
    await server.stop();
  }
});
