/**
 * An HTTP server that one host cannot stop: fetch-style handlers (the shape
 * of `Deno.serve`'s) served over `node:http`, which, unlike `Deno.serve`,
 * times out unfinished requests and sees each connection before its first
 * request, so connections can be capped.
 *
 * What it guarantees, with the default limits:
 * - a request whose headers are not complete is closed within 10 s + 1 s
 *   (`headersTimeoutMs` plus the 1 s check interval of `node:http`), one
 *   whose body is not complete within 15 s + 1 s (`requestTimeoutMs`), an
 *   idle keep-alive connection within 5 s + 1 s (`keepAliveTimeoutMs`);
 * - at most 64 connections from one source address and at most
 *   `maxConnections` in total: the file descriptors the process has spare
 *   at start minus 64 for its own files and outgoing connections (at most
 *   8192). A connection over a cap is closed at once; refusals are
 *   summarised in one line per address every 10 s ("refused 2969
 *   connections from 127.0.0.1 in the last 10 s (64 open from it, cap 64)");
 * - a shortage of file descriptors all the same (EMFILE, which leaves
 *   `node:http` deaf for good) is noticed within 250 ms, logged at most
 *   once per 10 s, and accepting resumes once descriptors are free again;
 * - server and socket errors are logged and never end the process;
 * - responses are written with backpressure and a body (an SSE stream) is
 *   cancelled when its client goes away.
 *
 * An HTTP upgrade (a WebSocket) goes to `onUpgrade`, after the same caps,
 * for example `ws`'s `WebSocketServer({ noServer: true, maxPayload })`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { listenGuarded } from "./guarded_server.ts";
 *
 * const server = await listenGuarded(
 *   (request, info) => new Response(`${request.method} from ${info.remoteAddr.hostname}`),
 *   { hostname: "127.0.0.1", port: 0, log: () => {} },
 * );
 * const response = await fetch(`http://127.0.0.1:${server.addr.port}/`);
 * assertEquals(await response.text(), "GET from 127.0.0.1");
 * await server.close();
 * ```
 *
 * @module
 */

import http from "node:http";
import https from "node:https";
import net, { type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { ConnectionGuard, type ConnectionStats } from "./connection_guard.ts";
import { spareFileDescriptors, watchFileDescriptors } from "./fd_probe.ts";
import { toRequest, writeResponse } from "./fetch_bridge.ts";
import {
  mutualTlsOptions,
  type PeerCertificate,
  peerCertificate,
  type TlsCredentials,
  TlsRefusalLog,
} from "./tls_peer.ts";

/**
 * What a handler is told besides the request: `Deno.serve`'s info, and on
 * a mutual-TLS server the verified client certificate of this request.
 */
export interface GuardedHandlerInfo
  extends Deno.ServeHandlerInfo<Deno.NetAddr> {
  /** The verified client certificate (mutual TLS only). */
  peerCertificate?: PeerCertificate;
}

/** A fetch-style handler, as `Deno.serve` takes it. */
export type GuardedHandler = (
  request: Request,
  info: GuardedHandlerInfo,
) => Response | Promise<Response>;

/**
 * Takes over an upgrade request's socket (after the connection caps), e.g.
 * `(req, socket, head) => wss.handleUpgrade(req, socket, head, ...)`.
 */
export type UpgradeHandler = (
  request: http.IncomingMessage,
  socket: Duplex,
  head: Uint8Array,
) => void;

/** Timeouts and caps; every field has a documented default. */
export interface GuardLimits {
  /** Time for a request's headers to arrive, in ms. Default 10,000. */
  headersTimeoutMs?: number;
  /** Time for a whole request (headers and body), in ms. Default 15,000. */
  requestTimeoutMs?: number;
  /** How long an idle keep-alive connection stays open, in ms. Default 5,000. */
  keepAliveTimeoutMs?: number;
  /**
   * Open connections in total. Default: the file descriptors the process
   * has spare at start, minus {@linkcode FD_HEADROOM}, between 16 and
   * 8192; 1024 where `/dev/null` may not be opened to count them.
   */
  maxConnections?: number;
  /** Open connections from one source address. Default 64. */
  maxConnectionsPerAddress?: number;
  /** How often refusals are summarised in the log, in ms. Default 10,000. */
  logIntervalMs?: number;
}

/** Options of {@linkcode listenGuarded}. */
export interface GuardedServeOptions extends GuardLimits {
  /** Listen address. */
  hostname: string;
  /** Listen port (0 for any free one). */
  port: number;
  /** Where refusals and errors are logged. Default `console.log`. */
  log?: (line: string) => void;
  /** Takes upgrade requests; without it they are refused with a 501. */
  onUpgrade?: UpgradeHandler;
  /**
   * Serve HTTPS with mutual TLS instead of HTTP: TLS 1.2 or later, a client
   * certificate signed by `tls.ca` required at the handshake (a peer
   * without one is refused before any HTTP), the handshake bounded by
   * `headersTimeoutMs`; refused handshakes are summarised per address.
   */
  tls?: TlsCredentials;
}

/** A listening {@linkcode listenGuarded} server. */
export interface GuardedServer {
  /** The bound address. */
  readonly addr: { hostname: string; port: number };
  /** The caps in force. */
  readonly limits: Required<GuardLimits>;
  /** Open and refused connections. */
  readonly stats: ConnectionStats;
  /**
   * Stops accepting, closes idle connections, waits up to `graceMs`
   * (default 1000) for the others, then closes those too.
   */
  close(graceMs?: number): Promise<void>;
}

/** File descriptors kept free for the process's own files and clients. */
export const FD_HEADROOM = 64;

const MAX_DEFAULT_CONNECTIONS = 8192;

/** The caps and timeouts used where `limits` does not set them. */
export function withDefaults(limits: GuardLimits): Required<GuardLimits> {
  const maxConnections = limits.maxConnections ?? defaultMaxConnections();
  return {
    headersTimeoutMs: limits.headersTimeoutMs ?? 10_000,
    requestTimeoutMs: limits.requestTimeoutMs ?? 15_000,
    keepAliveTimeoutMs: limits.keepAliveTimeoutMs ?? 5_000,
    maxConnections,
    maxConnectionsPerAddress: limits.maxConnectionsPerAddress ?? 64,
    logIntervalMs: limits.logIntervalMs ?? 10_000,
  };
}

function defaultMaxConnections(): number {
  const spare = spareFileDescriptors(MAX_DEFAULT_CONNECTIONS + FD_HEADROOM);
  if (spare === undefined) return 1024;
  return Math.min(MAX_DEFAULT_CONNECTIONS, Math.max(16, spare - FD_HEADROOM));
}

/** Starts serving `handler`; resolves once the socket is bound. */
export async function listenGuarded(
  handler: GuardedHandler,
  options: GuardedServeOptions,
): Promise<GuardedServer> {
  const limits = withDefaults(options);
  const log = options.log ?? console.log;
  const guard = new ConnectionGuard({
    maxConnections: limits.maxConnections,
    maxConnectionsPerAddress: limits.maxConnectionsPerAddress,
    intervalMs: limits.logIntervalMs,
    log,
  });
  const sockets = new Set<Socket>();
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    // A client that resets mid-request is routine, never a crash.
    req.on("error", () => {});
    respond(req, res).catch((error) => {
      log(`response failed: ${error}`);
      res.destroy();
    });
  };
  const refusedHandshakes = new TlsRefusalLog({
    log,
    intervalMs: limits.logIntervalMs,
  });
  const server = options.tls
    ? https.createServer(
      mutualTlsOptions(options.tls, {
        handshakeTimeoutMs: limits.headersTimeoutMs,
      }),
      onRequest,
    )
    : http.createServer(
      // Timeouts are checked this often: a close comes at most 1 s late.
      { connectionsCheckingInterval: 1000 } as http.ServerOptions,
      onRequest,
    );
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.on("connection", (socket: Socket) => {
    const address = plainAddress(socket.remoteAddress);
    if (address === undefined || !guard.admit(address)) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    // A reset by the peer is routine, not a server failure.
    socket.on("error", () => {});
    socket.once("close", () => {
      sockets.delete(socket);
      guard.release(address);
    });
  });
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Duplex) => {
    const status = error.code === "ERR_HTTP_REQUEST_TIMEOUT"
      ? "408 Request Timeout"
      : error.code === "HPE_HEADER_OVERFLOW"
      ? "431 Request Header Fields Too Large"
      : "400 Bad Request";
    closeWith(socket, status);
  });
  server.on("upgrade", (req, socket: Duplex, head: Uint8Array) => {
    if (options.onUpgrade) options.onUpgrade(req, socket, head);
    else closeWith(socket, "501 Not Implemented");
  });
  server.on(
    "tlsClientError",
    (error: NodeJS.ErrnoException, socket: Socket) => {
      // A TLS socket refused mid-handshake has forgotten its peer (Deno
      // 2.9.6); the TCP socket under it still knows.
      const tcp = (socket as unknown as { _parent?: Socket })._parent;
      const address =
        plainAddress(socket.remoteAddress ?? tcp?.remoteAddress) ??
          "unknown";
      refusedHandshakes.count(address, error.code ?? error.message);
    },
  );
  server.on("error", (error) => log(`server error: ${error.message}`));
  const flushLogs = () => {
    guard.flush();
    refusedHandshakes.flush();
  };
  const flusher = setInterval(flushLogs, limits.logIntervalMs);
  Deno.unrefTimer(flusher);

  async function respond(req: http.IncomingMessage, res: http.ServerResponse) {
    const completed = Promise.withResolvers<void>();
    res.once("close", () => completed.resolve());
    let request: Request;
    try {
      request = toRequest(req, res, `${options.hostname}:${addr.port}`);
    } catch {
      res.writeHead(400, { "content-type": "text/plain", connection: "close" });
      res.end("Bad request target or header\n");
      return;
    }
    let response: Response;
    try {
      response = await handler(request, {
        remoteAddr: {
          transport: "tcp",
          hostname: plainAddress(req.socket.remoteAddress) ?? "",
          port: req.socket.remotePort ?? 0,
        },
        completed: completed.promise,
        peerCertificate: peerCertificate(req.socket),
      });
    } catch (error) {
      // A handler whose client went away mid-request (a body that never
      // arrived, say) fails as a matter of course: that is no server error
      // worth a line per attacker's socket.
      if (res.destroyed || req.socket.destroyed) return;
      console.error(error);
      response = new Response("Internal Server Error\n", { status: 500 });
    }
    await writeResponse(res, response);
  }

  const bound = Promise.withResolvers<void>();
  server.once("error", bound.reject);
  server.listen(options.port, options.hostname, () => bound.resolve());
  try {
    await bound.promise;
  } catch (error) {
    clearInterval(flusher);
    throw error;
  } finally {
    server.off("error", bound.reject);
  }
  const { port } = server.address() as { port: number };
  const addr = { hostname: options.hostname, port };
  if (spareFileDescriptors(1) === undefined) {
    log(
      `cannot open /dev/null (needs --allow-read=/dev/null): a shortage of ` +
        `file descriptors would go unnoticed`,
    );
  }
  let closing = false;
  const stopWatching = watchFileDescriptors(() => {
    if (closing) return;
    // net's close, not http's: that would also end the idle connections
    // and the timeout checks. The connections stay; only the listening
    // socket is made anew.
    if (server.listening) net.Server.prototype.close.call(server);
    server.listen(port, options.hostname);
  }, {
    log,
    intervalMs: limits.logIntervalMs,
    isListening: () => server.listening,
  });

  return {
    addr,
    limits,
    get stats() {
      return guard.stats;
    },
    async close(graceMs = 1000) {
      closing = true;
      stopWatching();
      clearInterval(flusher);
      flushLogs();
      const closed = new Promise<void>((resolve) =>
        server.close(() => resolve())
      );
      server.closeIdleConnections();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        closed,
        new Promise((resolve) => timer = setTimeout(resolve, graceMs)),
      ]);
      clearTimeout(timer);
      // Upgraded sockets are no longer the server's: end them too.
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await closed;
    },
  };
}

// `::ffff:10.0.0.9` (an IPv4 peer on a dual-stack socket) is 10.0.0.9.
function plainAddress(address: string | undefined): string | undefined {
  return address?.startsWith("::ffff:") ? address.slice(7) : address;
}

// A short plain answer, then the socket closes even if the peer never reads.
function closeWith(socket: Duplex, status: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(
    `HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`,
  );
  setTimeout(() => socket.destroy(), 1000);
}
