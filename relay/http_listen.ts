/**
 * The relay's server from start to a clean stop: common/guarded_server.ts
 * (node:http with request timeouts and connection caps per source address
 * and in total) with upgrades going to the WebSocket side, and on SIGINT or
 * SIGTERM `[RELAY] shutting down`, the relay's own sockets closed, then the
 * server.
 *
 * @module
 */

import {
  type GuardedHandler,
  listenGuarded,
  type UpgradeHandler,
} from "../common/guarded_server.ts";

/** What {@linkcode listenUntilSignal} serves and how it stops. */
export interface ListenOptions {
  /** Listen address. */
  hostname: string;
  /** Listen port. */
  port: number;
  /** Plain HTTP requests. */
  handler: GuardedHandler;
  /** WebSocket upgrade requests, with the raw socket. */
  upgrade: UpgradeHandler;
  /** Open TCP connections in total. */
  maxConnections: number;
  /** Open TCP connections from one source address. */
  maxConnectionsPerAddress: number;
  /** Receives refusal summaries and server errors. */
  log: (line: string) => void;
  /** Called once the socket is bound, to print the ready lines. */
  onListen: (address: { hostname: string; port: number }) => void;
  /** Called once on the first signal, before the server stops. */
  onStop: () => void;
}

/** Serves until SIGINT or SIGTERM; rejects if the port cannot be bound. */
export async function listenUntilSignal(options: ListenOptions): Promise<void> {
  const server = await listenGuarded(options.handler, {
    hostname: options.hostname,
    port: options.port,
    onUpgrade: options.upgrade,
    maxConnections: options.maxConnections,
    maxConnectionsPerAddress: options.maxConnectionsPerAddress,
    log: options.log,
  });
  options.onListen(server.addr);
  const stopped = Promise.withResolvers<void>();
  const stop = () => {
    console.log("[RELAY] shutting down");
    try {
      options.onStop();
    } finally {
      stopped.resolve();
    }
  };
  const signals = ["SIGINT", "SIGTERM"] as const;
  for (const name of signals) Deno.addSignalListener(name, stop);
  try {
    await stopped.promise;
    await server.close();
  } finally {
    for (const name of signals) Deno.removeSignalListener(name, stop);
  }
}
