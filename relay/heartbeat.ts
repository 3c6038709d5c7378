/**
 * The relay's idle timeout over sockets that only know how to ping: a socket
 * silent for half the timeout is pinged, and one silent for all of it (no
 * pong, no frame) is handed to `onIdle` to be closed. Any frame counts as a
 * sign of life, as with Deno's own WebSocket idle timeout.
 *
 * @module
 */

/** A socket that can be pinged: a `ws` WebSocket is one. */
export interface Pingable {
  ping(): void;
}

/** Options for {@linkcode Heartbeat}. */
export interface HeartbeatOptions<S> {
  /** Silence after which a socket is idle, in milliseconds. */
  idleMs: number;
  /** Called once for a socket that stayed silent for `idleMs`. */
  onIdle: (socket: S) => void;
}

interface Life {
  seen: number;
  pinged: boolean;
}

/**
 * Tracks when each socket was last heard from; {@linkcode Heartbeat.sweep},
 * called every few hundred milliseconds, pings and gives up.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { Heartbeat } from "./heartbeat.ts";
 *
 * const idle: string[] = [];
 * let pings = 0;
 * const socket = { ping: () => pings++ };
 * const heartbeat = new Heartbeat<typeof socket>({
 *   idleMs: 1000,
 *   onIdle: () => idle.push("closed"),
 * });
 * heartbeat.seen(socket, 0);
 * heartbeat.sweep(400);
 * assertEquals(pings, 0);
 * heartbeat.sweep(600);
 * assertEquals(pings, 1);
 * heartbeat.sweep(1000);
 * assertEquals(idle, ["closed"]);
 * ```
 */
export class Heartbeat<S extends Pingable> {
  #lives = new Map<S, Life>();
  #options: HeartbeatOptions<S>;

  /** Starts with no sockets. */
  constructor(options: HeartbeatOptions<S>) {
    this.#options = options;
  }

  /** Records a sign of life of `socket` (tracking it from now on). */
  seen(socket: S, now: number): void {
    const life = this.#lives.get(socket);
    if (life) {
      life.seen = now;
      life.pinged = false;
    } else {
      this.#lives.set(socket, { seen: now, pinged: false });
    }
  }

  /** Stops tracking a socket that closed. */
  delete(socket: S): void {
    this.#lives.delete(socket);
  }

  /** Pings sockets silent for half the timeout; gives up on the silent ones. */
  sweep(now: number): void {
    const { idleMs, onIdle } = this.#options;
    for (const [socket, life] of this.#lives) {
      const silent = now - life.seen;
      if (silent >= idleMs) {
        this.#lives.delete(socket);
        onIdle(socket);
      } else if (silent >= idleMs / 2 && !life.pinged) {
        life.pinged = true;
        socket.ping();
      }
    }
  }
}
