/**
 * One socket write per event-loop turn instead of one per frame. `ws` hands
 * every frame to its TCP socket as one `writev` system call; relaying a chat
 * frame writes twice (the frame, then the sender's ack), and that syscall
 * was about half the relay's busy time under load. A {@linkcode BatchedPeer}
 * corks its socket at the first frame of a turn and uncorks it with
 * `process.nextTick`, once the turn's frames are all written: node:net then
 * hands them to the kernel together, in the order they were sent.
 *
 * Backpressure stays exact: corked bytes are bytes not yet handed to the
 * network, so they count in `bufferedAmount` like any other.
 *
 * @module
 */

import process from "node:process";
import type { Peer } from "./connection.ts";

/** A stream whose writes can be held back and then flushed together. */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

/** The parts of a `ws` WebSocket a {@linkcode BatchedPeer} wraps. */
export interface BatchableSocket extends Peer {
  ping(): void;
}

/**
 * A socket as the hub sees it, whose frames sent in one event-loop turn go
 * out in one write of `stream` (the TCP socket under the WebSocket).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { BatchedPeer } from "./write_batch.ts";
 *
 * const events: string[] = [];
 * const socket = {
 *   readyState: 1,
 *   bufferedAmount: 0,
 *   send: (text: string) => events.push(text),
 *   close() {},
 *   ping() {},
 * };
 * const stream = {
 *   cork: () => events.push("cork"),
 *   uncork: () => events.push("uncork"),
 * };
 * const peer = new BatchedPeer(socket, stream);
 * peer.send("a");
 * peer.send("b");
 * assertEquals(events, ["cork", "a", "b"]);
 * await new Promise((resolve) => setTimeout(resolve, 0));
 * assertEquals(events, ["cork", "a", "b", "uncork"]);
 * ```
 */
export class BatchedPeer implements BatchableSocket {
  readonly #socket: BatchableSocket;
  readonly #stream: Corkable;
  #corked = false;
  // A flush() ahead of the turn's end leaves its tick queued: that tick
  // then flushes whatever was sent since, still at the turn's end.
  readonly #flush = () => {
    if (!this.#corked) return;
    this.#corked = false;
    this.#stream.uncork();
  };

  /** Wraps `socket`, whose frames are written to `stream`. */
  constructor(socket: BatchableSocket, stream: Corkable) {
    this.#socket = socket;
    this.#stream = stream;
  }

  /** `1` while open, as `WebSocket.OPEN`. */
  get readyState(): number {
    return this.#socket.readyState;
  }

  /** Bytes sent but not yet handed to the network, corked ones included. */
  get bufferedAmount(): number {
    return this.#socket.bufferedAmount;
  }

  /** Sends a text frame, written out at the end of this event-loop turn. */
  send(text: string): void {
    if (!this.#corked) {
      this.#corked = true;
      this.#stream.cork();
      process.nextTick(this.#flush);
    }
    this.#socket.send(text);
  }

  /**
   * Writes this turn's frames now, e.g. before the socket is destroyed,
   * which would discard what is still corked.
   */
  flush(): void {
    this.#flush();
  }

  /**
   * Closes the WebSocket; its close frame follows the frames sent before
   * it, in the same write.
   */
  close(code?: number, reason?: string): void {
    this.#socket.close(code, reason);
  }

  /** Sends a ping frame (the heartbeat's), in this turn's write if any. */
  ping(): void {
    this.#socket.ping();
  }
}
