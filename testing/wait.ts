/**
 * Polling for tests: wait until a condition holds, or retry an attempt until
 * it succeeds, within a timeout. The suite's one poller, so that every wait
 * gives up the same way and says what it was waiting for.
 *
 * Both check once more after the timeout before giving up: a wait ends in
 * failure only after an attempt that started past the deadline failed, so a
 * slow attempt or a busy machine cannot make it shorter than `timeoutMs`.
 *
 * @module
 */

/** How long to keep trying, and how often. */
export interface WaitOptions {
  /** Give up after this long (default 5000 ms). */
  timeoutMs?: number;
  /** Pause between attempts (default 10 ms). */
  intervalMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_INTERVAL_MS = 10;

/**
 * Resolves once `condition()` (sync or async) is true; rejects after
 * `timeoutMs` with `timed out after N ms waiting for WHAT`. `what` may be a
 * function, called only on timeout, to describe the state then. An error
 * thrown by `condition` ends the wait at once.
 *
 * @example
 * ```ts
 * import { assertEquals, assertRejects } from "@std/assert";
 * import { waitUntil } from "./wait.ts";
 *
 * let polls = 0;
 * await waitUntil(() => ++polls === 3, "the third poll");
 * assertEquals(polls, 3);
 * await assertRejects(
 *   () => waitUntil(() => false, "never", { timeoutMs: 20 }),
 *   Error,
 *   "timed out after 20 ms waiting for never",
 * );
 * ```
 */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  what: string | (() => string),
  options: WaitOptions = {},
): Promise<void> {
  const { timeoutMs = DEFAULT_TIMEOUT_MS } = options;
  const deadline = performance.now() + timeoutMs;
  while (true) {
    const started = performance.now();
    if (await condition()) return;
    if (started > deadline) {
      const described = typeof what === "string" ? what : what();
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${described}`,
      );
    }
    await pause(options);
  }
}

/**
 * Calls `attempt` (sync or async) until it returns without throwing, and
 * returns what it returned; after `timeoutMs`, rethrows the error of its last
 * attempt, which says what failed.
 *
 * @example
 * ```ts
 * import { assertEquals, assertRejects } from "@std/assert";
 * import { retry } from "./wait.ts";
 *
 * let calls = 0;
 * const answer = await retry(() => {
 *   if (++calls < 3) throw new Error(`refused ${calls}`);
 *   return 42;
 * });
 * assertEquals([answer, calls], [42, 3]);
 * await assertRejects(
 *   () => retry(() => Promise.reject(new Error("refused")), { timeoutMs: 20 }),
 *   Error,
 *   "refused",
 * );
 * ```
 */
export async function retry<T>(
  attempt: () => T | Promise<T>,
  options: WaitOptions = {},
): Promise<T> {
  const deadline = performance.now() +
    (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  while (true) {
    const started = performance.now();
    try {
      return await attempt();
    } catch (error) {
      if (started > deadline) throw error;
    }
    await pause(options);
  }
}

function pause({ intervalMs = DEFAULT_INTERVAL_MS }: WaitOptions) {
  return new Promise((resolve) => setTimeout(resolve, intervalMs));
}
