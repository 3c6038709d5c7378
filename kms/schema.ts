/**
 * The KMS database's tables, and the migrations that bring a database made
 * by an older KMS up to them.
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import { auditDevice } from "./audit.ts";

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
-- Squad rooms (room_registry.ts): a room's row outlives its members, so
-- a room made again under the same name goes on from its last epoch.
CREATE TABLE IF NOT EXISTS rooms (
  room TEXT PRIMARY KEY,
  epoch INTEGER NOT NULL,
  leader TEXT NOT NULL,
  expected INTEGER NOT NULL
);
-- joined_epoch orders the members by arrival (the next leader is the oldest).
CREATE TABLE IF NOT EXISTS room_members (
  room TEXT NOT NULL,
  device TEXT NOT NULL,
  joined_epoch INTEGER NOT NULL,
  PRIMARY KEY (room, device)
);
CREATE INDEX IF NOT EXISTS room_members_device ON room_members (device);
CREATE TABLE IF NOT EXISTS audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  tag TEXT NOT NULL,
  message TEXT NOT NULL,
  at TEXT NOT NULL,
  device TEXT
);
-- Incidents (incident.ts): times Unix ms, affected_devices a JSON array.
CREATE TABLE IF NOT EXISTS incidents (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  opened_at INTEGER NOT NULL,
  closed_at INTEGER,
  peak_qber REAL NOT NULL,
  first_qber REAL NOT NULL,
  blocks INTEGER NOT NULL,
  key_refusals INTEGER NOT NULL,
  affected_devices TEXT NOT NULL,
  closed_by TEXT,
  acknowledged_by TEXT,
  acknowledged_at INTEGER,
  epoch INTEGER NOT NULL
);
-- Every block's figures across resets (link_history.ts), times Unix ms.
CREATE TABLE IF NOT EXISTS link_epochs (
  epoch INTEGER PRIMARY KEY,
  started_at INTEGER NOT NULL,
  reset_by TEXT
);
CREATE TABLE IF NOT EXISTS link_blocks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  epoch INTEGER NOT NULL,
  qber REAL NOT NULL,
  rolling_qber REAL NOT NULL,
  status TEXT NOT NULL,
  eve TEXT NOT NULL,
  gain_signal REAL,
  gain_decoy REAL,
  gain_vacuum REAL,
  single_photon_lower REAL,
  secret_bits INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS link_blocks_at ON link_blocks (at);
`;

// Indexes on migrated columns: after MIGRATIONS, which add the columns to
// an older database.
const INDEXES = `
CREATE INDEX IF NOT EXISTS audit_log_device ON audit_log (device, id);
CREATE INDEX IF NOT EXISTS audit_log_tag ON audit_log (tag, id);
`;

// Columns added after a table's first release, for databases created
// before them: CREATE TABLE IF NOT EXISTS leaves an existing table as it was.
const MIGRATIONS: readonly {
  table: string;
  column: string;
  sql: string;
  /** Fills the new column of the rows already there. */
  backfill?: (db: DatabaseSync) => void;
}[] = [
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
  {
    table: "audit_log",
    column: "device",
    sql: "ALTER TABLE audit_log ADD COLUMN device TEXT",
    backfill: backfillAuditDevices,
  },
];

// The device each older row names, as new rows get it on insert.
function backfillAuditDevices(db: DatabaseSync): void {
  const rows = db.prepare("SELECT id, message FROM audit_log").all() as {
    id: number;
    message: string;
  }[];
  const update = db.prepare("UPDATE audit_log SET device = ? WHERE id = ?");
  db.exec("BEGIN");
  for (const { id, message } of rows) {
    const device = auditDevice(message);
    if (device !== null) update.run(device, id);
  }
  db.exec("COMMIT");
}

function hasTable(db: DatabaseSync, name: string): boolean {
  return db.prepare(
    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
  ).get(name) !== undefined;
}

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
  // Before issue 18 the attacks_detected counter counted blocks at or above
  // 11%; it counts incidents since, which an older database has none of.
  const before18 = hasTable(db, "counters") && !hasTable(db, "incidents");
  db.exec(SCHEMA);
  if (before18) db.exec("DELETE FROM counters WHERE name = 'attacks_detected'");
  for (const { table, column, sql, backfill } of MIGRATIONS) {
    const columns = db.prepare(`PRAGMA table_info(${table})`).all() as {
      name: string;
    }[];
    if (!columns.some((c) => c.name === column)) {
      db.exec(sql);
      backfill?.(db);
    }
  }
  db.exec(INDEXES);
  db.exec(ETSI_SLAVES_BACKFILL);
  return db;
}
