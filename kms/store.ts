/**
 * The KMS's SQLite database (`node:sqlite`): everything that must survive a
 * restart. Key material is stored only for undelivered ETSI keys
 * (`etsi_keys.ts`) and the key pool (`key_pool.ts`), and then encrypted
 * under the master key (see `master_key.ts`).
 *
 * @module
 */

import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { AuditEntry, Role } from "../protocol/mod.ts";
import { auditDevice } from "./audit.ts";
import { openDatabase } from "./schema.ts";

/** An enrolled SAE, device or operator, as its token identifies it. */
export interface Enrollment {
  /** The enrolled name. */
  name: string;
  /** What it may do. */
  role: Role;
  /** Its bound Ed25519 identity key (base64url), or null until first use. */
  publicKey: string | null;
}

/** The outcome of {@linkcode KmsStore.bindPublicKey}. */
export type KeyBinding =
  | { ok: true; firstUse: boolean }
  | { ok: false; reason: "not_enrolled" | "key_mismatch" };

/** How much history {@linkcode KmsStore.prune} keeps. */
export interface Retention {
  /** Rows older than this many days go. */
  maxAgeDays: number;
  /** At most this many rows stay per table (the newest). */
  maxRows: number;
}

/** A ledger line: metadata of an issued key. */
export interface LedgerEntry {
  /** The issued key's id. */
  keyId: string;
  /** Device that received it. */
  device: string;
  /** Its peer, if any. */
  peer: string | null;
  /** QBER of the run that produced it. */
  qber: number;
  /** Which rule issued it: pair, session or seed (see `KeyKind`). */
  kind: string;
}

/**
 * The KMS database. All writes are synchronous and small; WAL mode keeps
 * them cheap.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { KmsStore } from "./store.ts";
 *
 * const store = new KmsStore(":memory:"); // the KMS opens data/kms/kms.db
 * store.addCounter("total_keys_issued", 2);
 * assertEquals(store.counter("total_keys_issued"), 2);
 * store.close();
 * ```
 */
export class KmsStore {
  #db: DatabaseSync;
  // Preparing a statement costs more than running a one-row insert: each is
  // prepared once and reused (a key request runs several).
  #statements = new Map<string, StatementSync>();

  /** Opens (and creates) the database at `path`; `:memory:` for tests. */
  constructor(path: string) {
    this.#db = openDatabase(path);
  }

  /** Closes the database. */
  close(): void {
    this.#statements.clear();
    this.#db.close();
  }

  /**
   * The prepared statement of `sql`, prepared once and reused (for the
   * tables of other modules, e.g. the key pool's).
   */
  statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /** Current value of a counter (0 when never set). */
  counter(name: string): number {
    const row = this.statement("SELECT value FROM counters WHERE name = ?")
      .get(name) as { value: number } | undefined;
    return row?.value ?? 0;
  }

  /** Adds `delta` to a counter. */
  addCounter(name: string, delta: number): void {
    this.statement(
      `INSERT INTO counters (name, value) VALUES (?, ?)
       ON CONFLICT(name) DO UPDATE SET value = value + excluded.value`,
    ).run(name, delta);
  }

  /** Reads a setting. */
  setting(name: string): string | undefined {
    const row = this.statement("SELECT value FROM settings WHERE name = ?")
      .get(name) as { value: string } | undefined;
    return row?.value;
  }

  /** Writes a setting. */
  setSetting(name: string, value: string): void {
    this.statement(
      `INSERT INTO settings (name, value) VALUES (?, ?)
       ON CONFLICT(name) DO UPDATE SET value = excluded.value`,
    ).run(name, value);
  }

  /** Appends a QBER measurement. */
  addQber(qber: number, eve: boolean): void {
    this.statement(
      "INSERT INTO qber_history (qber, eve, at) VALUES (?, ?, ?)",
    )
      .run(qber, eve ? 1 : 0, new Date().toISOString());
  }

  /** The last `limit` QBER values, oldest first. */
  recentQber(limit: number): number[] {
    const rows = this.statement(
      "SELECT qber FROM qber_history ORDER BY id DESC LIMIT ?",
    ).all(limit) as { qber: number }[];
    return rows.map((r) => r.qber).reverse();
  }

  /** Forgets the QBER history (reset). */
  clearQber(): void {
    this.#db.exec("DELETE FROM qber_history");
  }

  /** Records that `device` received key `keyId` (metadata only). */
  addLedger(entry: LedgerEntry): void {
    this.statement(
      "INSERT OR REPLACE INTO key_ledger (key_id, device, peer, qber, kind, issued_at) VALUES (?, ?, ?, ?, ?, ?)",
    ).run(
      entry.keyId,
      entry.device,
      entry.peer,
      entry.qber,
      entry.kind,
      new Date().toISOString(),
    );
  }

  /** Number of ledger lines. */
  ledgerSize(): number {
    return (this.statement("SELECT count(*) AS n FROM key_ledger").get() as {
      n: number;
    }).n;
  }

  /**
   * Enrolls (or re-enrolls) an SAE, device or operator with the SHA-256 hex
   * of its token. Re-enrolling replaces the token and role and forgets the
   * bound identity key unless `options.publicKey` names one.
   */
  enrollSae(
    saeId: string,
    tokenHash: string,
    options: { role?: Role; publicKey?: string } = {},
  ): void {
    this.statement(
      `INSERT INTO sae_tokens (sae_id, token_hash, enrolled_at, role, public_key) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(sae_id) DO UPDATE SET token_hash = excluded.token_hash, enrolled_at = excluded.enrolled_at,
         role = excluded.role, public_key = excluded.public_key`,
    ).run(
      saeId,
      tokenHash,
      new Date().toISOString(),
      options.role ?? "device",
      options.publicKey ?? null,
    );
  }

  /** The enrollment whose token hashes to `tokenHash`, if any. */
  enrollmentForTokenHash(tokenHash: string): Enrollment | undefined {
    return this.#enrollmentWhere("token_hash", tokenHash);
  }

  /** The enrollment of `name`, if any. */
  enrollment(name: string): Enrollment | undefined {
    return this.#enrollmentWhere("sae_id", name);
  }

  #enrollmentWhere(
    column: "sae_id" | "token_hash",
    value: string,
  ): Enrollment | undefined {
    const row = this.statement(
      `SELECT sae_id, role, public_key FROM sae_tokens WHERE ${column} = ?`,
    ).get(value) as
      | { sae_id: string; role: Role; public_key: string | null }
      | undefined;
    return row &&
      { name: row.sae_id, role: row.role, publicKey: row.public_key };
  }

  /**
   * Binds `publicKey` to `name` if no key is bound yet; otherwise checks it
   * is the bound one.
   */
  bindPublicKey(name: string, publicKey: string): KeyBinding {
    const { changes } = this.statement(
      "UPDATE sae_tokens SET public_key = ? WHERE sae_id = ? AND public_key IS NULL",
    ).run(publicKey, name);
    if (changes > 0) return { ok: true, firstUse: true };
    const bound = this.enrollment(name);
    if (!bound) return { ok: false, reason: "not_enrolled" };
    return bound.publicKey === publicKey
      ? { ok: true, firstUse: false }
      : { ok: false, reason: "key_mismatch" };
  }

  /**
   * Deletes QBER history, ledger and audit rows older than
   * `retention.maxAgeDays` or beyond the newest `retention.maxRows` of each
   * table; returns how many rows went.
   */
  prune(retention: Retention, now: Date = new Date()): number {
    const cutoff = new Date(
      now.getTime() - retention.maxAgeDays * 86_400_000,
    ).toISOString();
    const tables = [
      { table: "qber_history", time: "at", order: "id" },
      { table: "audit_log", time: "at", order: "id" },
      { table: "key_ledger", time: "issued_at", order: "rowid" },
    ];
    return this.batch(() => {
      let removed = 0;
      for (const { table, time, order } of tables) {
        removed += Number(
          this.#db.prepare(`DELETE FROM ${table} WHERE ${time} < ?`)
            .run(cutoff).changes,
        );
        removed += Number(
          this.#db.prepare(
            `DELETE FROM ${table} WHERE ${order} <= (SELECT ${order} FROM ${table} ORDER BY ${order} DESC LIMIT 1 OFFSET ?)`,
          ).run(retention.maxRows).changes,
        );
      }
      return removed;
    });
  }

  /** Appends an audit line (with the device it names) and returns it. */
  audit(tag: string, message: string): AuditEntry {
    const at = new Date().toISOString();
    const { lastInsertRowid } = this.statement(
      "INSERT INTO audit_log (tag, message, at, device) VALUES (?, ?, ?, ?)",
    ).run(tag, message, at, auditDevice(message));
    return { id: Number(lastInsertRowid), tag, message, at };
  }

  /** Audit lines with an id above `afterId`, oldest first, at most `limit`. */
  auditSince(afterId: number, limit = 1000): AuditEntry[] {
    return this.statement(
      "SELECT id, tag, message, at FROM audit_log WHERE id > ? ORDER BY id LIMIT ?",
    ).all(afterId, limit) as unknown as AuditEntry[];
  }

  /** The last `limit` audit lines, oldest first. */
  recentAudit(limit: number): AuditEntry[] {
    const rows = this.statement(
      "SELECT id, tag, message, at FROM audit_log ORDER BY id DESC LIMIT ?",
    ).all(limit) as unknown as AuditEntry[];
    return rows.reverse();
  }

  /**
   * Runs `fn` in one transaction (or inside the one already open): a key
   * request's ledger, audit and history writes then cost one commit, not
   * four.
   */
  batch<T>(fn: () => T): T {
    if (this.#db.isTransaction) return fn();
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const result = fn();
      this.#db.exec("COMMIT");
      return result;
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
  }
}
