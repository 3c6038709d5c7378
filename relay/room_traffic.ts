/**
 * The relay's summary of room traffic, `[MSG_RELAYED] rooms=R frames=N
 * copies=M`, at most one line every 10 s: how many rooms carried frames, how
 * many frames came in and how many copies went out or wait in queues. The
 * seeds' relay logged a line per message naming room and sender; counts say
 * that the relay works without making its console a record of who talked.
 *
 * @module
 */

/** Shortest time between two summary lines, in milliseconds. */
export const SUMMARY_INTERVAL_MS = 10_000;

/**
 * Counts room frames and prints the summary when one is due.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { RoomTraffic } from "./room_traffic.ts";
 *
 * const lines: string[] = [];
 * const traffic = new RoomTraffic((line) => lines.push(line));
 * traffic.count("squad1", 3);
 * traffic.count("squad1", 2);
 * traffic.count("squad2", 1);
 * traffic.flush(0);
 * traffic.count("squad1", 3);
 * traffic.flush(5_000);
 * assertEquals(lines, ["[MSG_RELAYED] rooms=2 frames=3 copies=6"]);
 * traffic.flush(10_000);
 * assertEquals(lines.at(-1), "[MSG_RELAYED] rooms=1 frames=1 copies=3");
 * ```
 */
export class RoomTraffic {
  #write: (line: string) => void;
  #rooms = new Set<string>();
  #frames = 0;
  #copies = 0;
  #nextAt = -Infinity;

  /** Summaries go to `write`. */
  constructor(write: (line: string) => void) {
    this.#write = write;
  }

  /** Counts a frame of `room` and its copies handed over or queued. */
  count(room: string, copies: number): void {
    this.#rooms.add(room);
    this.#frames++;
    this.#copies += copies;
  }

  /** Prints the summary if frames came since the last and one is due at `now` (ms). */
  flush(now: number): void {
    if (this.#frames === 0 || now < this.#nextAt) return;
    this.#write(
      `[MSG_RELAYED] rooms=${this.#rooms.size} frames=${this.#frames} ` +
        `copies=${this.#copies}`,
    );
    this.#rooms.clear();
    this.#frames = 0;
    this.#copies = 0;
    this.#nextAt = now + SUMMARY_INTERVAL_MS;
  }
}
