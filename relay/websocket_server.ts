/**
 * The relay's WebSockets, served by the npm package `ws` over node:http's
 * `upgrade` event. `ws` reads each frame's length header before its payload
 * and refuses a frame or message longer than `maxPayload` there (close 1009),
 * and the relay then drops the connection at once, so an oversize frame is
 * never buffered whole; Deno's own WebSocket server reads up to 64 MiB of a
 * message before anyone can measure it. Compression (permessage-deflate) is
 * off, so no frame can inflate into more than it weighed on the wire. The hub
 * sees each socket as a {@linkcode BatchedPeer}: the frames of one event-loop
 * turn leave in one write.
 *
 * @module
 */

import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
// @ts-types="@types/ws"
import { type RawData, type WebSocket, WebSocketServer } from "ws";
import type { RelayLimits } from "./config.ts";
import { CloseCode, describe, type Hub } from "./hub.ts";
import { Heartbeat } from "./heartbeat.ts";
import { BatchedPeer, type Corkable } from "./write_batch.ts";

/** Options for {@linkcode RelaySockets}. */
export interface RelaySocketsOptions extends
  Pick<
    RelayLimits,
    "idleTimeoutSeconds" | "maxConnections" | "maxFrameBytes"
  > {
  /** Receives a line when handling a frame fails unexpectedly. */
  log?: (line: string) => void;
}

/**
 * Frames up to this many times `maxFrameBytes` are read and refused with a
 * `frame_too_large` error frame, on a connection that carries on; longer ones
 * are refused from their length header and the connection dropped.
 */
export const HARD_LIMIT_FACTOR = 2;

// How long a closing socket may take to answer the close frame before it is
// dropped (ws's default is 30 s, which would let vanished peers pile up).
const CLOSE_TIMEOUT_MS = 2000;

// ws's error codes and the close codes it sends for them.
const ERROR_CLOSE_CODES: Record<string, number> = {
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: CloseCode.messageTooBig,
  WS_ERR_INVALID_UTF8: 1007,
};

/**
 * Upgrades HTTP requests to WebSockets and feeds their traffic to `hub`.
 *
 * @example
 * ```ts ignore
 * const sockets = new RelaySockets(hub, config);
 * server.on("upgrade", (request, socket, head) => sockets.upgrade(request, socket, head));
 * ```
 */
export class RelaySockets {
  #hub: Hub;
  #options: RelaySocketsOptions;
  #server: WebSocketServer;
  #heartbeat: Heartbeat<BatchedPeer>;
  #sweeper: ReturnType<typeof setInterval>;

  /** Starts the idle timer; no sockets yet. */
  constructor(hub: Hub, options: RelaySocketsOptions) {
    this.#hub = hub;
    this.#options = options;
    this.#server = new WebSocketServer(
      {
        noServer: true,
        maxPayload: HARD_LIMIT_FACTOR * options.maxFrameBytes,
        perMessageDeflate: false,
        clientTracking: false,
        closeTimeout: CLOSE_TIMEOUT_MS,
      } as ConstructorParameters<typeof WebSocketServer>[0],
    );
    const idleMs = options.idleTimeoutSeconds * 1000;
    this.#heartbeat = new Heartbeat({
      idleMs,
      onIdle: (socket) =>
        hub.close(socket, CloseCode.goingAway, "idle timeout"),
    });
    this.#sweeper = setInterval(
      () => this.#heartbeat.sweep(performance.now()),
      Math.min(1000, Math.max(20, idleMs / 10)),
    );
  }

  /** Handles node:http's `upgrade` event: 503 when full, else the handshake. */
  upgrade(request: IncomingMessage, socket: Duplex, head: Uint8Array): void {
    if (this.#hub.connections >= this.#options.maxConnections) {
      socket.end(
        "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n" +
          "Content-Type: text/plain\r\nContent-Length: 11\r\n\r\nrelay full\n",
      );
      return;
    }
    const { remoteAddress, remotePort } = request.socket;
    this.#server.handleUpgrade(
      request,
      socket,
      head as Buffer,
      (ws) => this.#accept(ws, `${remoteAddress}:${remotePort}`),
    );
  }

  /** Stops the idle timer (the hub closes the sockets). */
  close(): void {
    clearInterval(this.#sweeper);
    this.#server.close();
  }

  #accept(ws: WebSocket, label: string): void {
    const hub = this.#hub;
    const heartbeat = this.#heartbeat;
    const log = this.#options.log ?? (() => {});
    // `_socket` is ws's own field for the TCP socket (ws has no public API
    // for it; the import map pins ws).
    const peer = new BatchedPeer(
      ws,
      (ws as unknown as { _socket: Corkable })._socket,
    );
    hub.connect(peer, label);
    heartbeat.add(peer, performance.now());
    ws.on("message", (data: RawData, isBinary: boolean) => {
      heartbeat.heard(peer);
      try {
        hub.receive(peer, isBinary ? data : data.toString());
      } catch (error) {
        log(`internal error on ${label}: ${describe(error)}`);
        hub.close(peer, CloseCode.internalError, "internal error");
      }
    });
    // Pongs keep a registered socket alive; an unregistered one is closed at
    // the hub's REGISTER_TIMEOUT_MS whatever it sends.
    const alive = () => heartbeat.heard(peer);
    ws.on("pong", alive);
    ws.on("ping", alive);
    // ws has already sent its close frame (1009 for a frame over the hard
    // limit), maybe still corked behind this turn's frames; dropping the connection stops the rest from being read.
    ws.on("error", (error: Error & { code?: string }) => {
      const code = ERROR_CLOSE_CODES[error.code ?? ""] ?? 1002;
      hub.close(peer, code, error.code ?? "protocol error");
      peer.flush();
      ws.terminate();
    });
    ws.on("close", (code: number) => {
      heartbeat.delete(peer);
      hub.disconnect(peer, code);
    });
  }
}
