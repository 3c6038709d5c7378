/**
 * Test lab: raw TCP clients that misbehave the way a hostile host does
 * (connect and say nothing, send half a request, hold a keep-alive
 * connection), timed until the server closes them, and plain requests
 * from a chosen source address on loopback (127.0.0.2 is a second host).
 *
 * @module
 */

import http from "node:http";
import net from "node:net";

/** How a held socket behaves. */
export type HoldMode =
  | "idle" // connects and sends nothing
  | "partial" // sends a request line and one header, never the blank line
  | "keepalive"; // completes one request, then stays idle

/** A socket held open against a server. */
export interface HeldSocket {
  /** Resolves once the socket is connected (and its bytes sent). */
  ready: Promise<void>;
  /**
   * Resolves when the server closes it, with the ms since `ready` and the
   * bytes the server sent.
   */
  closed: Promise<{ afterMs: number; received: string }>;
  /** Closes it from this side. */
  destroy(): void;
}

/** Opens a socket against `port` on 127.0.0.1 that behaves as `mode`. */
export function holdSocket(
  port: number,
  mode: HoldMode,
  options: { localAddress?: string } = {},
): HeldSocket {
  const socket = net.connect({
    host: "127.0.0.1",
    port,
    localAddress: options.localAddress,
  });
  const ready = Promise.withResolvers<void>();
  const closed = Promise.withResolvers<{ afterMs: number; received: string }>();
  let start = performance.now();
  let received = "";
  socket.setEncoding("latin1");
  socket.on("data", (chunk: string) => received += chunk);
  socket.on("error", () => {});
  socket.once("connect", () => {
    const request = mode === "partial"
      ? "GET / HTTP/1.1\r\nHost: x\r\n"
      : mode === "keepalive"
      ? "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
      : "";
    socket.write(request, () => {
      start = performance.now();
      ready.resolve();
    });
  });
  socket.once("close", () => {
    ready.resolve();
    closed.resolve({ afterMs: performance.now() - start, received });
  });
  return {
    ready: ready.promise,
    closed: closed.promise,
    destroy: () => socket.destroy(),
  };
}

/** A response as {@linkcode requestFrom} returns it. */
export interface PlainResponse {
  /** HTTP status. */
  status: number;
  /** The body as text. */
  text: string;
}

/**
 * GETs `url` from `localAddress` (e.g. 127.0.0.2) on a fresh connection;
 * rejects on a refused or reset connection or after `timeoutMs`.
 */
export function requestFrom(
  url: string,
  localAddress: string,
  timeoutMs = 5000,
): Promise<PlainResponse> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { localAddress, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => text += chunk);
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      res.on("error", reject);
    });
    request.setTimeout(timeoutMs, () => {
      request.destroy(new Error(`no answer from ${url} in ${timeoutMs} ms`));
    });
    request.on("error", reject);
  });
}

/** What {@linkcode flood} left open. */
export interface Flood {
  /** Every socket opened, held or already closed by the server. */
  sockets: HeldSocket[];
  /** How many the server has closed so far. */
  closedByServer(): number;
  /** Closes the rest and waits until all are closed. */
  release(): Promise<void>;
}

/**
 * Opens `count` idle sockets against `port` as fast as the server takes
 * them, in batches (a host trying to exhaust the server's descriptors).
 */
export async function flood(
  port: number,
  count: number,
  options: { localAddress?: string; batch?: number } = {},
): Promise<Flood> {
  const sockets: HeldSocket[] = [];
  let closed = 0;
  const batch = options.batch ?? 250;
  for (let i = 0; i < count; i += batch) {
    const opened = Array.from(
      { length: Math.min(batch, count - i) },
      () => holdSocket(port, "idle", options),
    );
    for (const socket of opened) socket.closed.then(() => closed++);
    sockets.push(...opened);
    await Promise.all(opened.map((socket) => socket.ready));
  }
  return {
    sockets,
    closedByServer: () => closed,
    release: async () => {
      for (const socket of sockets) socket.destroy();
      await Promise.all(sockets.map((socket) => socket.closed));
    },
  };
}
