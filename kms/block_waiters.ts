/**
 * Callers waiting for the link's blocks to bring about a condition (e.g.
 * `/force_attack` waiting for RED), each with its own time limit.
 *
 * @module
 */

/**
 * Promises that resolve when a block makes their condition true, or at
 * their time limit.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { BlockWaiters } from "./block_waiters.ts";
 *
 * const waiters = new BlockWaiters();
 * let red = false;
 * let done = false;
 * const waiting = waiters.until(() => red, 5000).then(() => done = true);
 * waiters.wake(); // a block that did not turn it RED
 * await Promise.resolve();
 * assertEquals(done, false);
 * red = true;
 * waiters.wake();
 * await waiting;
 * assertEquals(done, true);
 * ```
 */
export class BlockWaiters {
  #waiting = new Set<(all: boolean) => void>();

  /** Resolves once `done()` holds after a block, or after `timeoutMs`. */
  until(done: () => boolean, timeoutMs: number): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.#waiting.delete(check);
        resolve();
      };
      const check = (all: boolean) => {
        if (all || done()) finish();
      };
      const timer = setTimeout(finish, timeoutMs);
      this.#waiting.add(check);
    });
  }

  /** A block arrived: resolves the waiters whose condition now holds. */
  wake(): void {
    for (const check of this.#waiting) check(false);
  }

  /** Resolves every waiter (the link stopped). */
  release(): void {
    for (const check of this.#waiting) check(true);
  }
}
