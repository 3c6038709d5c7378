/**
 * The audit trail: each entry goes to SQLite (for `deno task logs`), to the
 * console (the operator's terminal) and to the live event feed. Entries use
 * QSEC2-style tags and `key=value` details, never key material.
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
 * const audit = new Auditor(store, new EventHub(), {
 *   log: (line) => lines.push(line),
 * });
 * audit.record("RESET", "status=GREEN");
 * assertEquals(store.recentAudit(1)[0].tag, "RESET");
 * assertMatch(lines[0], /^\S+ \[RESET\] status=GREEN$/);
 * store.close();
 * ```
 */
export class Auditor {
  #store: KmsStore;
  #hub: EventHub;
  #log: (line: string) => void;

  /** Writes through `store`, `hub` and `options.log` (default console.log). */
  constructor(
    store: KmsStore,
    hub: EventHub,
    options: { log?: (line: string) => void } = {},
  ) {
    this.#store = store;
    this.#hub = hub;
    this.#log = options.log ?? console.log;
  }

  /** Appends `[TAG] message` everywhere. */
  record(tag: string, message: string): AuditEntry {
    const entry = this.#store.audit(tag, message);
    this.#log(formatAuditEntry(entry));
    this.#hub.publish({ event: "audit", data: entry });
    return entry;
  }
}
