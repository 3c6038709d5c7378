/**
 * A limit on failed operator logins per source host. Operator tokens are 256
 * random bits, so guessing one is hopeless anyway; the limit keeps a host
 * from trying at the server's full speed all the same. It refuses, never
 * sleeps: a delay would hold the attacker's connections open.
 *
 * @module
 */

/** How many failed logins a host gets before it must wait. */
export interface LoginLimit {
  /** Failed logins per host in a window; then the host waits it out. */
  maxFailures: number;
  /** The window, in ms, from the host's first failure. */
  windowMs: number;
  /**
   * Hosts tracked at once. When that many are waiting, further hosts are
   * not tracked (not limited) rather than sharing one lock, so an attacker
   * with many addresses cannot lock the real operator out.
   */
  maxHosts: number;
}

/** The dashboard's limit: 5 failed logins per host a minute, 256 hosts. */
export const LOGIN_LIMIT: LoginLimit = {
  maxFailures: 5,
  windowMs: 60_000,
  maxHosts: 256,
};

interface Window {
  start: number;
  failures: number;
}

/**
 * Counts failed logins per host.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { LoginThrottle } from "./login_throttle.ts";
 *
 * let now = 0;
 * const throttle = new LoginThrottle({
 *   limit: { maxFailures: 2, windowMs: 60_000, maxHosts: 8 },
 *   now: () => now,
 * });
 * throttle.fail("10.0.0.9");
 * assertEquals(throttle.retryAfterMs("10.0.0.9"), 0);
 * throttle.fail("10.0.0.9");
 * now = 10_000;
 * assertEquals(throttle.retryAfterMs("10.0.0.9"), 50_000);
 * assertEquals(throttle.retryAfterMs("10.0.0.7"), 0);
 * now = 60_000;
 * assertEquals(throttle.retryAfterMs("10.0.0.9"), 0);
 * ```
 */
export class LoginThrottle {
  #limit: LoginLimit;
  #now: () => number;
  #windows = new Map<string, Window>();

  /** Uses `options.limit` (default {@linkcode LOGIN_LIMIT}) and `options.now`. */
  constructor(options: { limit?: LoginLimit; now?: () => number } = {}) {
    this.#limit = options.limit ?? LOGIN_LIMIT;
    this.#now = options.now ?? Date.now;
  }

  /** How long `host` must wait before its next login is checked (0: now). */
  retryAfterMs(host: string): number {
    const window = this.#current(host);
    if (!window || window.failures < this.#limit.maxFailures) return 0;
    return window.start + this.#limit.windowMs - this.#now();
  }

  /** Counts a failed login from `host`. */
  fail(host: string): void {
    let window = this.#current(host);
    if (!window) {
      this.#prune();
      if (this.#windows.size >= this.#limit.maxHosts) return;
      window = { start: this.#now(), failures: 0 };
      this.#windows.set(host, window);
    }
    window.failures++;
  }

  #current(host: string): Window | undefined {
    const window = this.#windows.get(host);
    if (window && this.#now() - window.start >= this.#limit.windowMs) {
      this.#windows.delete(host);
      return undefined;
    }
    return window;
  }

  #prune(): void {
    const now = this.#now();
    for (const [host, window] of this.#windows) {
      if (now - window.start >= this.#limit.windowMs) {
        this.#windows.delete(host);
      }
    }
  }
}
