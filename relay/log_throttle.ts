/**
 * Console lines at a bounded rate: every event prints while a person could
 * read along (the live demo), and under load the surplus is counted in one
 * summary line per second instead of flooding the terminal and slowing the
 * relay.
 *
 * @module
 */

/** Options for {@linkcode LogThrottle}. */
export interface LogThrottleOptions {
  /** Lines printed per one-second window before lines are only counted. */
  linesPerSecond: number;
  /** Clock in milliseconds. Default `Date.now`, cheaper than a monotonic clock and good enough for a log window. */
  now?: () => number;
}

/**
 * Passes lines to `write` up to a rate, then counts them.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { LogThrottle } from "./log_throttle.ts";
 *
 * let now = 0;
 * const lines: string[] = [];
 * const log = new LogThrottle((line) => lines.push(line), {
 *   linesPerSecond: 1,
 *   now: () => now,
 * });
 * log.line("connect #1");
 * log.line("connect #2");
 * now = 1000;
 * log.flush();
 * assertEquals(lines, [
 *   "connect #1",
 *   "1 more not shown (console limited to 1 lines/s)",
 * ]);
 * ```
 */
export class LogThrottle {
  #write: (line: string) => void;
  #limit: number;
  #now: () => number;
  #windowStart = -Infinity;
  #printed = 0;
  #suppressed = 0;

  /** Wraps `write`, e.g. `console.log`. */
  constructor(write: (line: string) => void, options: LogThrottleOptions) {
    this.#write = write;
    this.#limit = options.linesPerSecond;
    this.#now = options.now ?? Date.now;
  }

  /** Prints `text`, or counts it once this window's lines are used up. */
  line(text: string): void {
    this.flush();
    if (this.#printed < this.#limit) {
      this.#printed++;
      this.#write(text);
    } else {
      this.#suppressed++;
    }
  }

  /** Ends the window if a second has passed, printing the count of lines held back. */
  flush(): void {
    const now = this.#now();
    if (now - this.#windowStart < 1000) return;
    if (this.#suppressed > 0) {
      this.#write(
        `${this.#suppressed} more not shown ` +
          `(console limited to ${this.#limit} lines/s)`,
      );
    }
    this.#windowStart = now;
    this.#printed = 0;
    this.#suppressed = 0;
  }
}
