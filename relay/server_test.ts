import { assertEquals, assertStringIncludes } from "@std/assert";
import { DEFAULT_LIMITS } from "./config.ts";
import { Hub } from "./hub.ts";
import { createRelayHandler } from "./server.ts";

const info = {
  remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 40000 },
  completed: Promise.resolve(),
} as Deno.ServeHandlerInfo<Deno.NetAddr>;

function setup(maxConnections = 10) {
  const hub = new Hub({ limits: DEFAULT_LIMITS });
  const handler = createRelayHandler(hub, {
    ...DEFAULT_LIMITS,
    maxConnections,
  });
  const get = async (path: string, headers: Record<string, string> = {}) =>
    await handler(new Request(`http://relay${path}`, { headers }), info);
  return { hub, get };
}

Deno.test("createRelayHandler() serves /healthz and /metrics", async () => {
  const { get } = setup();
  const health = await get("/healthz");
  assertEquals(health.status, 200);
  assertEquals(await health.json(), {
    status: "ok",
    connections: 0,
    devices: 0,
  });
  const metrics = await get("/metrics");
  assertEquals(
    metrics.headers.get("content-type"),
    "text/plain; version=0.0.4; charset=utf-8",
  );
  assertStringIncludes(
    await metrics.text(),
    "qstcs_relay_frames_relayed_total 0\n",
  );
});

Deno.test("createRelayHandler() answers 426 at / without an upgrade, 404 elsewhere", async () => {
  const { get } = setup();
  const root = await get("/");
  assertEquals(root.status, 426);
  assertEquals(root.headers.get("upgrade"), "websocket");
  await root.body?.cancel();
  const missing = await get("/keys");
  assertEquals(missing.status, 404);
  await missing.body?.cancel();
});

Deno.test("createRelayHandler() refuses upgrades when full (503) or malformed (400)", async () => {
  const { hub, get } = setup(1);
  const upgrade = { upgrade: "websocket", connection: "Upgrade" };
  const malformed = await get("/", upgrade);
  assertEquals(malformed.status, 400);
  await malformed.body?.cancel();
  hub.connect({ readyState: 1, bufferedAmount: 0, send() {}, close() {} }, "x");
  const full = await get("/", upgrade);
  assertEquals(full.status, 503);
  await full.body?.cancel();
});
