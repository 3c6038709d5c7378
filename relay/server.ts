/**
 * The relay's plain HTTP answers, on its WebSocket port: `GET /healthz`,
 * `GET /metrics`, 426 at `/` for a request that is not an upgrade, 404
 * elsewhere. Upgrades go to websocket_server.ts.
 *
 * @module
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import type { Hub } from "./hub.ts";
import { renderRelayMetrics } from "./metrics.ts";

/** A node:http `request` listener. */
export type RequestListener = (
  request: IncomingMessage,
  response: ServerResponse,
) => void;

/**
 * Creates the node:http `request` listener of the relay's HTTP answers.
 *
 * @example
 * ```ts ignore
 * const server = http.createServer(createRelayRoutes(hub));
 * ```
 */
export function createRelayRoutes(hub: Hub): RequestListener {
  return (request, response) => {
    const pathname = new URL(request.url ?? "/", "http://relay").pathname;
    if (request.method === "GET" && pathname === "/healthz") {
      const { connections, devices } = hub.gauges();
      reply(response, 200, {
        "content-type": "application/json",
      }, JSON.stringify({ status: "ok", connections, devices }));
    } else if (request.method === "GET" && pathname === "/metrics") {
      reply(response, 200, {
        "content-type": "text/plain; version=0.0.4; charset=utf-8",
      }, renderRelayMetrics(hub.counters, hub.gauges()));
    } else if (pathname === "/") {
      reply(response, 426, {
        "content-type": "text/plain; charset=utf-8",
        upgrade: "websocket",
      }, "QSTCS relay: connect with a WebSocket\n");
    } else {
      reply(response, 404, {
        "content-type": "text/plain; charset=utf-8",
      }, "not found\n");
    }
  };
}

function reply(
  response: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: string,
): void {
  response.writeHead(status, headers);
  response.end(body);
}
