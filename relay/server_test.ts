import { assertEquals, assertStringIncludes } from "@std/assert";
import { listenGuarded } from "../common/guarded_server.ts";
import { DEFAULT_LIMITS } from "./config.ts";
import { Hub } from "./hub.ts";
import { createRelayHandler } from "./server.ts";
import { RelaySockets } from "./websocket_server.ts";

// The handler and the WebSocket side on a guarded server in this process.
async function setup(maxConnections = 10) {
  const hub = new Hub({ limits: DEFAULT_LIMITS });
  const sockets = new RelaySockets(hub, { ...DEFAULT_LIMITS, maxConnections });
  const server = await listenGuarded(createRelayHandler(hub), {
    hostname: "127.0.0.1",
    port: 0,
    onUpgrade: (request, socket, head) =>
      sockets.upgrade(request, socket, head),
    log: () => {},
  });
  const { port } = server.addr;
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`http://127.0.0.1:${port}${path}`, { headers });
  return {
    hub,
    get,
    port,
    async [Symbol.asyncDispose]() {
      sockets.close();
      hub.closeAll(1001, "test over");
      await server.close();
    },
  };
}

Deno.test("createRelayHandler() serves /healthz and /metrics", async () => {
  await using relay = await setup();
  const health = await relay.get("/healthz");
  assertEquals(health.status, 200);
  assertEquals(await health.json(), {
    status: "ok",
    connections: 0,
    devices: 0,
  });
  const metrics = await relay.get("/metrics");
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
  await using relay = await setup();
  const root = await relay.get("/");
  assertEquals(root.status, 426);
  assertEquals(root.headers.get("upgrade"), "websocket");
  await root.body?.cancel();
  const missing = await relay.get("/keys");
  assertEquals(missing.status, 404);
  await missing.body?.cancel();
});

Deno.test("RelaySockets refuses upgrades when full (503) or malformed (400)", async () => {
  await using relay = await setup(1);
  const upgrade = { upgrade: "websocket", connection: "Upgrade" };
  const malformed = await relay.get("/", upgrade).catch(() => undefined);
  assertEquals(malformed?.status ?? 400, 400);
  await malformed?.body?.cancel();
  relay.hub.connect(
    { readyState: 1, bufferedAmount: 0, send() {}, close() {} },
    "x",
  );
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: relay.port });
  await conn.write(
    new TextEncoder().encode(
      "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    ),
  );
  const buffer = new Uint8Array(256);
  const n = await conn.read(buffer);
  conn.close();
  assertStringIncludes(
    new TextDecoder().decode(buffer.subarray(0, n ?? 0)),
    "HTTP/1.1 503",
  );
});
