/**
 * The KMS database's tables, and the migrations that bring a database made
 * by an older KMS up to them.
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";

const SCHEMA = `
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA busy_timeout = 5000;
CREATE TABLE IF NOT EXISTS counters (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS settings (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS qber_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  qber REAL NOT NULL,
  eve INTEGER NOT NULL,
  at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS key_ledger (
  key_id TEXT NOT NULL,
  device TEXT NOT NULL,
  peer TEXT,
  qber REAL NOT NULL,
  kind TEXT NOT NULL,
  issued_at TEXT NOT NULL,
  PRIMARY KEY (key_id, device)
);
-- One sealed copy per ETSI key; slave is the slave the master named in
-- the path, part of the seal's context (so one copy serves every slave).
CREATE TABLE IF NOT EXISTS etsi_keys (
  key_id TEXT PRIMARY KEY,
  master TEXT NOT NULL,
  slave TEXT NOT NULL,
  sealed BLOB NOT NULL,
  created_at TEXT NOT NULL
);
-- Who may collect each key, once: the path's slave and any additional
-- (multicast) slaves. claim marks a dec_keys answer in flight; a key goes
-- (with its rows) once every slave's row has its delivered_at.
CREATE TABLE IF NOT EXISTS etsi_key_slaves (
  key_id TEXT NOT NULL,
  slave TEXT NOT NULL,
  claim TEXT,
  delivered_at TEXT,
  PRIMARY KEY (key_id, slave)
);
CREATE INDEX IF NOT EXISTS etsi_key_slaves_claim ON etsi_key_slaves (claim);
CREATE INDEX IF NOT EXISTS etsi_key_slaves_slave ON etsi_key_slaves (slave);
CREATE TABLE IF NOT EXISTS key_pool (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  chunk_id TEXT NOT NULL UNIQUE,
  link TEXT NOT NULL,
  sealed BLOB NOT NULL,
  bytes INTEGER NOT NULL,
  used INTEGER NOT NULL DEFAULT 0,
  added_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sae_tokens (
  sae_id TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  enrolled_at TEXT NOT NULL,
  role TEXT NOT NULL DEFAULT 'device',
  public_key TEXT
);
CREATE TABLE IF NOT EXISTS sae_certs (
  fingerprint TEXT PRIMARY KEY,
  sae_id TEXT NOT NULL,
  subject TEXT,
  not_after TEXT,
  enrolled_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sae_certs_by_sae ON sae_certs (sae_id);
CREATE TABLE IF NOT EXISTS audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tag TEXT NOT NULL,
  message TEXT NOT NULL,
  at TEXT NOT NULL
);
`;

// Columns added after a table's first release, for databases created
// before them: CREATE TABLE IF NOT EXISTS leaves an existing table as it was.
const MIGRATIONS: readonly { table: string; column: string; sql: string }[] = [
  {
    table: "sae_tokens",
    column: "role",
    sql:
      "ALTER TABLE sae_tokens ADD COLUMN role TEXT NOT NULL DEFAULT 'device'",
  },
  {
    table: "sae_tokens",
    column: "public_key",
    sql: "ALTER TABLE sae_tokens ADD COLUMN public_key TEXT",
  },
];

// Keys an older KMS stored before etsi_key_slaves existed were for their
// one slave: it may still collect them. Idempotent, so it runs at every open.
const ETSI_SLAVES_BACKFILL =
  `INSERT OR IGNORE INTO etsi_key_slaves (key_id, slave)
  SELECT key_id, slave FROM etsi_keys
  WHERE key_id NOT IN (SELECT key_id FROM etsi_key_slaves)`;

/**
 * Opens (and creates) the database at `path` with every table and column
 * this KMS uses; `:memory:` for tests.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { openDatabase } from "./schema.ts";
 *
 * const db = openDatabase(":memory:");
 * const columns = db.prepare("PRAGMA table_info(sae_tokens)").all().map((c) => c.name);
 * assertEquals(columns.includes("role") && columns.includes("public_key"), true);
 * db.close();
 * ```
 */
export function openDatabase(path: string): DatabaseSync {
  const db = new DatabaseSync(path);
  db.exec(SCHEMA);
  for (const { table, column, sql } of MIGRATIONS) {
    const columns = db.prepare(`PRAGMA table_info(${table})`).all() as {
      name: string;
    }[];
    if (!columns.some((c) => c.name === column)) db.exec(sql);
  }
  db.exec(ETSI_SLAVES_BACKFILL);
  return db;
}
