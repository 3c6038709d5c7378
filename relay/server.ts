/**
 * The relay's HTTP handler: WebSocket upgrades on any path, `GET /healthz`
 * and `GET /metrics`.
 *
 * @module
 */

import type { RelayLimits } from "./config.ts";
import { CloseCode, type Hub } from "./hub.ts";
import { renderRelayMetrics } from "./metrics.ts";

/** Options for {@linkcode createRelayHandler}. */
export interface RelayHandlerOptions
  extends Pick<RelayLimits, "idleTimeoutSeconds" | "maxConnections"> {
  /** Receives a line when handling a frame fails unexpectedly. */
  log?: (line: string) => void;
}

/**
 * Creates the `Deno.serve` handler that feeds WebSocket traffic to `hub`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { DEFAULT_LIMITS } from "./config.ts";
 * import { Hub } from "./hub.ts";
 * import { createRelayHandler } from "./server.ts";
 *
 * const hub = new Hub({ limits: DEFAULT_LIMITS });
 * const handler = createRelayHandler(hub, DEFAULT_LIMITS);
 * // The relay process passes it to Deno.serve({ port: 8765 }, handler).
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
  options: RelayHandlerOptions,
): Deno.ServeHandler<Deno.NetAddr> {
  const log = options.log ?? (() => {});
  return (request, info) => {
    if (request.headers.get("upgrade")?.toLowerCase() === "websocket") {
      if (hub.connections >= options.maxConnections) {
        return new Response("relay full\n", { status: 503 });
      }
      return upgrade(hub, request, {
        label: `${info.remoteAddr.hostname}:${info.remoteAddr.port}`,
        idleTimeoutSeconds: options.idleTimeoutSeconds,
        log,
      });
    }
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

function upgrade(
  hub: Hub,
  request: Request,
  options: {
    label: string;
    idleTimeoutSeconds: number;
    log: (line: string) => void;
  },
): Response {
  let upgraded;
  try {
    // Deno pings a socket after half the idle timeout of silence and closes
    // it (1001) when the other half passes without a pong.
    upgraded = Deno.upgradeWebSocket(request, {
      idleTimeout: options.idleTimeoutSeconds,
    });
  } catch {
    return new Response("bad WebSocket upgrade\n", { status: 400 });
  }
  const { socket, response } = upgraded;
  socket.onopen = () => hub.connect(socket, options.label);
  socket.onmessage = (event) => {
    try {
      hub.receive(socket, event.data);
    } catch (error) {
      // The message line of an error could quote a frame; log only where.
      const where = error instanceof Error
        ? `${error.name}${error.stack?.replace(/^[^\n]*/, "") ?? ""}`
        : typeof error;
      options.log(`internal error on ${options.label}: ${where}`);
      socket.close(CloseCode.internalError, "internal error");
    }
  };
  socket.onclose = (event) => hub.disconnect(socket, event.code);
  return response;
}
