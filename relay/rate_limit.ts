/**
 * A token bucket: the per-connection rate limit, and the tally of refused
 * frames that decides when a connection is closed for abuse.
 *
 * @module
 */

/** Options for {@linkcode TokenBucket}. */
export interface TokenBucketOptions {
  /** Most tokens held, which is also the burst allowed after a quiet spell. */
  capacity: number;
  /** Tokens added per second. */
  refillPerSecond: number;
  /** Current time in milliseconds; the bucket starts full. */
  now: number;
}

/**
 * Allows `capacity` events at once and `refillPerSecond` on average.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { TokenBucket } from "./rate_limit.ts";
 *
 * const bucket = new TokenBucket({ capacity: 2, refillPerSecond: 1, now: 0 });
 * assertEquals([bucket.take(0), bucket.take(0), bucket.take(0)], [
 *   true,
 *   true,
 *   false,
 * ]);
 * assertEquals(bucket.take(1000), true);
 * ```
 */
export class TokenBucket {
  #capacity: number;
  #perMs: number;
  #tokens: number;
  #updated: number;

  /** Creates a full bucket. */
  constructor(options: TokenBucketOptions) {
    this.#capacity = options.capacity;
    this.#perMs = options.refillPerSecond / 1000;
    this.#tokens = options.capacity;
    this.#updated = options.now;
  }

  /** Takes one token if there is one; `now` in milliseconds. */
  take(now: number): boolean {
    const elapsed = Math.max(0, now - this.#updated);
    this.#tokens = Math.min(
      this.#capacity,
      this.#tokens + elapsed * this.#perMs,
    );
    this.#updated = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
