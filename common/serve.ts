/**
 * A service's HTTP server from start to a clean stop: listens through
 * {@linkcode listenGuarded} (timeouts on unfinished requests, connection
 * caps per source address and in total, never an exit on a flood), prints
 * its ready lines, and on SIGINT or SIGTERM prints `[TAG] shutting down`,
 * lets the service release what it holds, stops accepting and returns.
 * Refusals and server errors are logged as `[TAG] ...` lines.
 *
 * @example
 * ```ts ignore
 * await serveUntilSignal(handler, {
 *   hostname: "0.0.0.0",
 *   port: 8000,
 *   tag: "KMS",
 *   onListen: ({ hostname, port }) => console.log(`[KMS] listening on http://${hostname}:${port}`),
 *   onStop: () => hub.close(),
 * });
 * ```
 *
 * @module
 */

import {
  type GuardedHandler,
  type GuardLimits,
  listenGuarded,
  type UpgradeHandler,
} from "./guarded_server.ts";

/** How {@linkcode serveUntilSignal} serves and stops. */
export interface ServeOptions extends GuardLimits {
  /** Listen address. */
  hostname: string;
  /** Listen port (0 for any free one). */
  port: number;
  /** The log tag, e.g. `KMS` for `[KMS] shutting down`. */
  tag: string;
  /** Called once the socket is bound, to print the ready lines. */
  onListen: (address: { hostname: string; port: number }) => void;
  /**
   * Called once on the first signal, before the server stops accepting:
   * end long-lived streams and sockets here, or the server waits for them.
   */
  onStop?: () => void | Promise<void>;
  /** Takes HTTP upgrades (WebSockets), after the connection caps. */
  onUpgrade?: UpgradeHandler;
  /** Ends the server without a signal (tests). */
  signal?: AbortSignal;
  /**
   * How long to wait for open connections after the stop before closing
   * them anyway, in ms. Default 1000: a client that vanished without a
   * close handshake may never end its connection by itself.
   */
  graceMs?: number;
}

/** Serves `handler` until SIGINT, SIGTERM or `options.signal`. */
export async function serveUntilSignal(
  handler: GuardedHandler,
  options: ServeOptions,
): Promise<void> {
  const { tag } = options;
  const server = await listenGuarded(handler, {
    ...options,
    log: (line) => console.log(`[${tag}] ${line}`),
  });
  options.onListen(server.addr);
  const stopped = Promise.withResolvers<void>();
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log(`[${tag}] shutting down`);
    try {
      await options.onStop?.();
    } finally {
      stopped.resolve();
    }
  };
  const signals = ["SIGINT", "SIGTERM"] as const;
  for (const name of signals) Deno.addSignalListener(name, stop);
  options.signal?.addEventListener("abort", stop, { once: true });
  try {
    await stopped.promise;
    await server.close(options.graceMs ?? 1000);
  } finally {
    for (const name of signals) Deno.removeSignalListener(name, stop);
  }
}
