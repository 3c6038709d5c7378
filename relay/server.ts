/**
 * The relay's plain HTTP answers, on its WebSocket port: `GET /healthz`,
 * `GET /metrics`, 426 at `/` for a request that is not an upgrade, 404
 * elsewhere. Upgrades go to websocket_server.ts.
 *
 * @module
 */

import type { GuardedHandler } from "../common/guarded_server.ts";
import type { Hub } from "./hub.ts";
import { renderRelayMetrics } from "./metrics.ts";

/**
 * Creates the fetch-style handler of the relay's HTTP answers.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { DEFAULT_LIMITS } from "./config.ts";
 * import { Hub } from "./hub.ts";
 * import { createRelayHandler } from "./server.ts";
 *
 * const handler = createRelayHandler(new Hub({ limits: DEFAULT_LIMITS }));
 * const info = {
 *   remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 50000 },
 *   completed: Promise.resolve(),
 * } as Deno.ServeHandlerInfo<Deno.NetAddr>;
 * const health = await handler(new Request("http://relay/healthz"), info);
 * assertEquals(await health.json(), {
 *   status: "ok",
 *   connections: 0,
 *   devices: 0,
 * });
 * ```
 */
export function createRelayHandler(hub: Hub): GuardedHandler {
  return (request) => {
    const { pathname } = new URL(request.url);
    if (request.method === "GET" && pathname === "/healthz") {
      const { connections, devices } = hub.gauges();
      return Response.json({ status: "ok", connections, devices });
    }
    if (request.method === "GET" && pathname === "/metrics") {
      return new Response(renderRelayMetrics(hub.counters, hub.gauges()), {
        headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
      });
    }
    if (pathname === "/") {
      return new Response("QSTCS relay: connect with a WebSocket\n", {
        status: 426,
        headers: { upgrade: "websocket" },
      });
    }
    return new Response("not found\n", { status: 404 });
  };
}
