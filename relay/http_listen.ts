/**
 * The relay's node:http server from start to a clean stop: unfinished
 * requests time out, upgrades go to the WebSocket side, and on SIGINT or
 * SIGTERM it prints `[RELAY] shutting down`, lets the relay close its
 * sockets and returns. The one place that knows how the relay listens.
 *
 * @module
 */

import http from "node:http";
import type { Duplex } from "node:stream";
import type { RequestListener } from "./server.ts";

/** What {@linkcode listenUntilSignal} serves and how it stops. */
export interface ListenOptions {
  /** Listen address. */
  hostname: string;
  /** Listen port. */
  port: number;
  /** Plain HTTP requests. */
  request: RequestListener;
  /** WebSocket upgrade requests, with the raw socket. */
  upgrade: (
    request: http.IncomingMessage,
    socket: Duplex,
    head: Uint8Array,
  ) => void;
  /** Called once the socket is bound, to print the ready lines. */
  onListen: (address: { hostname: string; port: number }) => void;
  /** Called once on the first signal, before the server stops. */
  onStop: () => void;
}

// A request's headers must arrive within this, and the whole request within
// REQUEST_TIMEOUT_MS; checked every second, so a slow one is closed within
// the timeout plus a second.
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 15_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;

/** Serves until SIGINT or SIGTERM; rejects if the port cannot be bound. */
export async function listenUntilSignal(options: ListenOptions): Promise<void> {
  const server = http.createServer(
    { connectionsCheckingInterval: 1000 } as http.ServerOptions,
    options.request,
  );
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.on("upgrade", options.upgrade);
  // A client that sends garbage gets 400 and is dropped; the server stays.
  server.on("clientError", (_error, socket: Duplex) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\n\r\n");
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.hostname, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as { address: string; port: number };
  options.onListen({ hostname: address.address, port: address.port });
  const stopped = Promise.withResolvers<void>();
  const stop = () => {
    console.log("[RELAY] shutting down");
    try {
      options.onStop();
    } finally {
      server.close();
      stopped.resolve();
    }
  };
  const signals = ["SIGINT", "SIGTERM"] as const;
  for (const name of signals) Deno.addSignalListener(name, stop);
  try {
    await stopped.promise;
  } finally {
    for (const name of signals) Deno.removeSignalListener(name, stop);
  }
}
