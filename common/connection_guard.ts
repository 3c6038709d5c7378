/**
 * Connection admission for a server that one host must not be able to
 * stop: a cap per source address and in total, and refusals counted and
 * summarised in one log line per address and interval instead of one line
 * (or an exit) per refusal.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { ConnectionGuard } from "./connection_guard.ts";
 *
 * const lines: string[] = [];
 * const guard = new ConnectionGuard({
 *   maxConnections: 3,
 *   maxConnectionsPerAddress: 2,
 *   log: (line) => lines.push(line),
 * });
 * assertEquals(guard.admit("10.0.0.9"), true);
 * assertEquals(guard.admit("10.0.0.9"), true);
 * assertEquals(guard.admit("10.0.0.9"), false); // its own cap
 * assertEquals(guard.admit("10.0.0.7"), true);
 * assertEquals(guard.admit("10.0.0.8"), false); // the total cap
 * guard.release("10.0.0.9");
 * assertEquals(guard.admit("10.0.0.8"), true);
 * guard.flush();
 * assertEquals(lines, [
 *   "refused 1 connection from 10.0.0.9 in the last 10 s (2 open from it, cap 2)",
 *   "refused 1 connection from 10.0.0.8 in the last 10 s (3 open in total, cap 3)",
 * ]);
 * ```
 *
 * @module
 */

/** Limits of a {@linkcode ConnectionGuard}. */
export interface ConnectionGuardOptions {
  /** Open connections allowed in total. */
  maxConnections: number;
  /** Open connections allowed from one source address. */
  maxConnectionsPerAddress: number;
  /** Where summary lines go. */
  log: (line: string) => void;
  /** The summary interval in ms, for the wording of the lines. Default 10,000. */
  intervalMs?: number;
}

/** Open and refused connections, for logs and tests. */
export interface ConnectionStats {
  /** Connections open now. */
  open: number;
  /** Refusals since the start, whatever the reason. */
  refused: number;
}

interface Refusals {
  count: number;
  reason: string;
}

/**
 * Counts open connections by source address and decides admissions.
 * Nothing is logged at the moment of a refusal: {@linkcode flush}, called
 * once per interval, writes one line per refusing address.
 */
export class ConnectionGuard {
  #options: ConnectionGuardOptions;
  #open = new Map<string, number>();
  #total = 0;
  #refused = 0;
  #pending = new Map<string, Refusals>();

  /** A guard with nothing open yet. */
  constructor(options: ConnectionGuardOptions) {
    this.#options = options;
  }

  /**
   * Counts a new connection from `address` and returns `true`, or returns
   * `false` (the caller closes it) when a cap is reached.
   */
  admit(address: string): boolean {
    const { maxConnections, maxConnectionsPerAddress } = this.#options;
    const mine = this.#open.get(address) ?? 0;
    if (mine >= maxConnectionsPerAddress) {
      this.refuse(
        address,
        `${mine} open from it, cap ${maxConnectionsPerAddress}`,
      );
      return false;
    }
    if (this.#total >= maxConnections) {
      this.refuse(
        address,
        `${this.#total} open in total, cap ${maxConnections}`,
      );
      return false;
    }
    this.#open.set(address, mine + 1);
    this.#total++;
    return true;
  }

  /** Uncounts a connection that {@linkcode admit} let in and that closed. */
  release(address: string): void {
    const mine = this.#open.get(address);
    if (mine === undefined) return;
    if (mine > 1) this.#open.set(address, mine - 1);
    else this.#open.delete(address);
    this.#total--;
  }

  /**
   * Records a refusal decided elsewhere (the process is out of file
   * descriptors, say), summarised with the others.
   */
  refuse(address: string, reason: string): void {
    this.#refused++;
    const refusals = this.#pending.get(address);
    if (refusals) {
      refusals.count++;
      refusals.reason = reason;
    } else {
      this.#pending.set(address, { count: 1, reason });
    }
  }

  /** Writes one line per address refused since the last flush. */
  flush(): void {
    const seconds = (this.#options.intervalMs ?? 10_000) / 1000;
    for (const [address, { count, reason }] of this.#pending) {
      const noun = count === 1 ? "connection" : "connections";
      this.#options.log(
        `refused ${count} ${noun} from ${address} in the last ${seconds} s (${reason})`,
      );
    }
    this.#pending.clear();
  }

  /** Open and refused connections. */
  get stats(): ConnectionStats {
    return { open: this.#total, refused: this.#refused };
  }
}
