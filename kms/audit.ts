/**
 * The audit trail: each entry goes to SQLite (for `deno task logs`), to the
 * console (the operator's terminal) and to the live event feed. Entries use
 * QSEC2-style tags and `key=value` details, never key material. Rows that
 * anyone on the LAN can provoke at will (bad tokens, refused keys) are
 * rate-limited per tag and source and summed up, so a flood cannot fill the
 * disk or the operator's terminal.
 *
 * @module
 */

import type { EventHub } from "./events.ts";
import type { AuditEntry } from "../protocol/mod.ts";
import type { KmsStore } from "./store.ts";

/**
 * One entry as a line: `TIME [TAG] key=value ...`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { formatAuditEntry } from "./audit.ts";
 * const line = formatAuditEntry({ id: 1, tag: "RESET", message: "status=GREEN", at: "T" });
 * assertEquals(line, "T [RESET] status=GREEN");
 * ```
 */
export function formatAuditEntry(entry: AuditEntry): string {
  return `${entry.at} [${entry.tag}] ${entry.message}`;
}

// The first `device=`, `to=` or `sae=` field (a rate limiter's summary
// names it as `source=device=NAME`).
const DEVICE_FIELD =
  /(?:^|[\s=])(?:device|to|sae)=([A-Za-z0-9_.-]{1,64})(?=\s|$)/;

/**
 * The device an audit message names (its `device=`, `to=` or `sae=`
 * field), or null: what the audit log's indexed `device` column holds, so
 * `GET /audit?device=NAME` finds its rows.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { auditDevice } from "./audit.ts";
 *
 * assertEquals(auditDevice("device=Soldier_Alpha peer=Soldier_Bravo status=RED"), "Soldier_Alpha");
 * assertEquals(auditDevice("source=device=Soldier_Alpha repeated=12 in 10s"), "Soldier_Alpha");
 * assertEquals(auditDevice("sae=SAE_A role=device"), "SAE_A");
 * assertEquals(auditDevice("actor=Operator source=127.0.0.1:4000"), null);
 * ```
 */
export function auditDevice(message: string): string | null {
  return DEVICE_FIELD.exec(message)?.[1] ?? null;
}

/**
 * How often a repeated row (a refusal, a ticket) is written: at most `rowsPerWindow` rows per
 * tag and source in each `windowMs`, then one summary row with the count of
 * the rest. Sources beyond `maxSources` in a window share one `*` row set,
 * so a host with many addresses cannot grow the table either.
 */
export interface AuditRateLimit {
  /** Rows per tag and source in a window. */
  rowsPerWindow: number;
  /** The window, in ms. */
  windowMs: number;
  /** Sources tracked at once. */
  maxSources: number;
}

/** The KMS's limit: 5 rows per tag and source every 10 s, 64 sources. */
export const AUDIT_RATE_LIMIT: AuditRateLimit = {
  rowsPerWindow: 5,
  windowMs: 10_000,
  maxSources: 64,
};

interface Window {
  tag: string;
  source: string;
  start: number;
  written: number;
  suppressed: number;
}

/** What {@linkcode Auditor} writes through, besides the database. */
export interface AuditorOptions {
  /** Where lines go (default console.log). */
  log?: (line: string) => void;
  /** The rate limit of {@linkcode Auditor.limited} (default {@linkcode AUDIT_RATE_LIMIT}). */
  limit?: AuditRateLimit;
  /** The clock, in ms (default Date.now). */
  now?: () => number;
}

/**
 * Records audit entries.
 *
 * @example
 * ```ts
 * import { assertEquals, assertMatch } from "@std/assert";
 * import { Auditor } from "./audit.ts";
 * import { EventHub } from "./events.ts";
 * import { KmsStore } from "./store.ts";
 *
 * const store = new KmsStore(":memory:");
 * const lines: string[] = [];
 * let now = 0;
 * const audit = new Auditor(store, new EventHub(), {
 *   log: (line) => lines.push(line),
 *   limit: { rowsPerWindow: 2, windowMs: 10_000, maxSources: 8 },
 *   now: () => now,
 * });
 * audit.record("RESET", "status=GREEN");
 * assertMatch(lines[0], /^\S+ \[RESET\] status=GREEN$/);
 * for (let i = 0; i < 100; i++) {
 *   audit.limited("AUTH_FAILED", "source=10.0.0.9:4000 path=/reset", { source: "10.0.0.9" });
 * }
 * now = 10_000;
 * audit.flush();
 * assertEquals(store.recentAudit(10).map((e) => e.message), [
 *   "status=GREEN",
 *   "source=10.0.0.9:4000 path=/reset",
 *   "source=10.0.0.9:4000 path=/reset",
 *   "source=10.0.0.9 repeated=98 in 10s",
 * ]);
 * store.close();
 * ```
 */
export class Auditor {
  #store: KmsStore;
  #hub: EventHub;
  #log: (line: string) => void;
  #limit: AuditRateLimit;
  #now: () => number;
  #windows = new Map<string, Window>();

  /** Writes through `store`, `hub` and `options.log`. */
  constructor(
    store: KmsStore,
    hub: EventHub,
    options: AuditorOptions = {},
  ) {
    this.#store = store;
    this.#hub = hub;
    this.#log = options.log ?? console.log;
    this.#limit = options.limit ?? AUDIT_RATE_LIMIT;
    this.#now = options.now ?? Date.now;
  }

  /** Appends `[TAG] message` everywhere. */
  record(tag: string, message: string): AuditEntry {
    const entry = this.#store.audit(tag, message);
    this.#log(formatAuditEntry(entry));
    this.#hub.publish({ event: "audit", data: entry });
    return entry;
  }

  /**
   * Appends a row anyone can provoke over and over (a bad token, a refused
   * key, a ticket), rate-limited per tag and `options.source` (the caller's
   * host, or the device when that is all that is known).
   */
  limited(tag: string, message: string, options: { source: string }): void {
    this.flush();
    const { rowsPerWindow, maxSources } = this.#limit;
    let source = options.source;
    let window = this.#windows.get(`${tag} ${source}`);
    if (!window && this.#windows.size >= maxSources) {
      source = "*";
      window = this.#windows.get(`${tag} ${source}`);
    }
    if (!window) {
      window = { tag, source, start: this.#now(), written: 0, suppressed: 0 };
      this.#windows.set(`${tag} ${source}`, window);
    }
    if (window.written < rowsPerWindow) {
      window.written++;
      this.record(tag, message);
    } else window.suppressed++;
  }

  /**
   * Writes the summaries of the rate-limit windows that have ended (all of
   * them with `options.all`, at shutdown).
   */
  flush(options: { all?: boolean } = {}): void {
    const now = this.#now();
    const { windowMs } = this.#limit;
    for (const [key, window] of this.#windows) {
      const elapsed = now - window.start;
      if (elapsed < windowMs && !options.all) continue;
      this.#windows.delete(key);
      if (window.suppressed === 0) continue;
      const seconds = Math.max(
        1,
        Math.round(Math.min(elapsed, windowMs) / 1000),
      );
      this.record(
        window.tag,
        `source=${window.source} repeated=${window.suppressed} in ${seconds}s`,
      );
    }
  }
}
