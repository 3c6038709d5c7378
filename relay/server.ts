/**
 * The relay's plain HTTP answers, on its WebSocket port: `GET /healthz`,
 * `GET /metrics`, `GET /devices` with the admin token (only when the relay
 * has one), 426 at `/` for a request that is not an upgrade, 404 elsewhere. Upgrades go to websocket_server.ts.
 *
 * @module
 */

import type { GuardedHandler } from "../common/guarded_server.ts";
import type { Hub } from "./hub.ts";
import { renderRelayMetrics } from "./metrics.ts";
import { isAdmin } from "./device_report.ts";

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
export function createRelayHandler(
  hub: Hub,
  options: { adminToken?: string } = {},
): GuardedHandler {
  const { adminToken } = options;
  return (request) => {
    const { pathname } = new URL(request.url);
    if (adminToken !== undefined && pathname === "/devices") {
      if (request.method !== "GET") {
        return Response.json({ message: "GET only" }, { status: 405 });
      }
      return isAdmin(request, adminToken)
        ? Response.json(hub.deviceReport())
        : Response.json({ message: "the relay's admin token is required" }, {
          status: 401,
          headers: { "www-authenticate": "Bearer" },
        });
    }
    if (request.method === "GET" && pathname === "/healthz") {
      const { connections, devices } = hub.gauges();
      return Response.json({ status: "ok", connections, devices });
    }
    if (request.method === "GET" && pathname === "/metrics") {
      const text = renderRelayMetrics(
        hub.counters,
        hub.gauges(),
        hub.cluster?.metrics(),
      );
      return new Response(text, {
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
