/**
 * Which relay to try next when a client knows several (`--relay
 * URL1,URL2`), and how long to wait first: a connection lost, or never made,
 * moves on to the next URL, at once while the round has URLs left to try,
 * with the exponential backoff (backoff.ts) once every one of them failed in
 * turn; the backoff grows with each failed round. With one URL this is the
 * link's plain backoff.
 *
 * @module
 */

import { backoffDelay, type BackoffOptions } from "./backoff.ts";

// The wait before the next URL of a round: a random part of it, so that the
// clients of a relay that died do not all reach the next one together.
const HOP_MS = 100;

/**
 * The relays a link may use, the one it is on, and the delays between tries.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { RelayUrls } from "./relay_urls.ts";
 *
 * const urls = new RelayUrls(["ws://a:8765", "ws://b:8765"], {
 *   random: () => 0.5,
 * });
 * assertEquals(urls.current, "ws://a:8765");
 * assertEquals(urls.failed(), 50); // on to b at once
 * assertEquals(urls.current, "ws://b:8765");
 * assertEquals(urls.failed(), 375); // both failed: back to a after a backoff
 * assertEquals(urls.current, "ws://a:8765");
 * urls.up();
 * assertEquals(urls.failed(), 50);
 * ```
 */
export class RelayUrls {
  readonly #urls: readonly string[];
  readonly #backoff: BackoffOptions;
  #index = 0;
  // Tries that failed since the link was last registered.
  #failures = 0;

  /** Starts on the first of `urls` (at least one). */
  constructor(urls: readonly string[], backoff: BackoffOptions = {}) {
    if (urls.length === 0) throw new RangeError("no relay URL");
    this.#urls = [...urls];
    this.#backoff = backoff;
  }

  /** The relay the link is on, or trying. */
  get current(): string {
    return this.#urls[this.#index];
  }

  /** Every relay, in the order they are tried. */
  get all(): readonly string[] {
    return this.#urls;
  }

  /**
   * The connection to {@linkcode RelayUrls.current} was lost or could not
   * be made: moves to the next URL and returns how long to wait before
   * trying it, in milliseconds.
   */
  failed(): number {
    const failures = this.#failures++;
    const count = this.#urls.length;
    this.#index = (this.#index + 1) % count;
    const random = this.#backoff.random ?? Math.random;
    return (failures + 1) % count === 0
      ? backoffDelay(Math.floor(failures / count), this.#backoff)
      : Math.floor(HOP_MS * random());
  }

  /** Registered on {@linkcode RelayUrls.current}: the next loss starts a new round. */
  up(): void {
    this.#failures = 0;
  }
}
