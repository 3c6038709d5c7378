/**
 * The KMS's parts wired together: what every route handler works with.
 *
 * @module
 */

import type { Identity } from "../protocol/mod.ts";
import { Auditor } from "./audit.ts";
import type { KmsConfig } from "./config.ts";
import { EtsiKeyStore } from "./etsi_keys.ts";
import { EventHub } from "./events.ts";
import { IncidentLog } from "./incident.ts";
import { LinkEvidence } from "./incident_evidence.ts";
import { KeyBroker } from "./key_broker.ts";
import { KeyPool } from "./key_pool.ts";
import { LinkHistory } from "./link_history.ts";
import { LinkRunner } from "./link_runner.ts";
import { loadMasterKey } from "./master_key.ts";
import { LatencyHistogram } from "../common/prometheus.ts";
import { QuantumLink } from "./quantum_link.ts";
import { RoomKeys } from "./room_keys.ts";
import { RoomRegistry } from "./room_registry.ts";
import { KmsStore } from "./store.ts";
import { loadTicketKey } from "./ticket_key.ts";

/** File name of the SQLite database inside the data directory. */
export const DATABASE_FILE = "kms.db";

/** How often a running KMS prunes its database (ms). */
export const PRUNE_INTERVAL_MS = 60_000;
/** How often it writes the summaries of rate-limited audit rows (ms). */
const FLUSH_INTERVAL_MS = 1_000;

/** The KMS's state and services. */
export interface Kms {
  /** What the process was started with. */
  config: KmsConfig;
  /** Counters, history, ledger, ETSI keys, tokens and the audit log. */
  store: KmsStore;
  /** ETSI keys waiting for their slaves, and the cap's reservations. */
  etsi: EtsiKeyStore;
  /** Live event feed. */
  hub: EventHub;
  /** Where audit entries go: SQLite, the console and the event feed. */
  audit: Auditor;
  /** The continuously running (simulated) QKD link. */
  link: QuantumLink;
  /** Every block's figures across resets, by epoch. */
  history: LinkHistory;
  /** The link's incidents: RED to reset. */
  incidents: IncidentLog;
  /** The link's secret bits, waiting for key requests. */
  pool: KeyPool;
  /** Pairing rules and sessions. */
  broker: KeyBroker;
  /** Squad rooms: members and epochs. */
  rooms: RoomRegistry;
  /** The rooms' keys of their current epochs, in memory. */
  roomKeys: RoomKeys;
  /** Seals ETSI keys at rest. */
  masterKey: CryptoKey;
  /** Signs relay tickets. */
  ticketKey: Identity;
  /** Request latency by route. */
  latency: LatencyHistogram;
  /** When a BusyBox wget last polled `/link_status` (ISO), or null. */
  routerLastSeen: string | null;
  /** The pruning and audit-summary timers of an opened KMS, cleared at close. */
  timers: ReturnType<typeof setInterval>[];
}

/** What {@linkcode createKms} builds the KMS on. */
export interface KmsParts {
  /** The database (`:memory:` for a KMS that forgets everything). */
  store: KmsStore;
  /** The master key that seals ETSI keys at rest. */
  masterKey: CryptoKey;
  /** The key that signs relay tickets. */
  ticketKey: Identity;
  /** Where audit lines go (default console.log). */
  log?: (line: string) => void;
}

/**
 * Builds the KMS on an open database and master key, its pool empty and its
 * link not running yet (`kms.link.attach(source)` starts it).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { generateIdentity, importAesKey } from "../protocol/mod.ts";
 * import { parseKmsConfig } from "./config.ts";
 * import { closeKms, createKms } from "./context.ts";
 * import { KmsStore } from "./store.ts";
 *
 * const kms = createKms(parseKmsConfig([], () => undefined), {
 *   store: new KmsStore(":memory:"),
 *   masterKey: await importAesKey(new Uint8Array(32)),
 *   ticketKey: await generateIdentity(),
 *   log: () => {},
 * });
 * assertEquals(kms.link.status, "GREEN");
 * closeKms(kms);
 * ```
 */
export function createKms(config: KmsConfig, parts: KmsParts): Kms {
  const { store, masterKey, ticketKey } = parts;
  const hub = new EventHub();
  const audit = new Auditor(store, hub, { log: parts.log });
  const pool = new KeyPool(store, {
    capacityBits: config.link.poolCapacityBits,
    masterKey,
    hub,
  });
  const history = new LinkHistory(store);
  const incidents = new IncidentLog(store, hub, { audit });
  // The room keys take from the link's pool and are destroyed at its RED:
  // made after the link, called by it (a const cannot be used before).
  // deno-lint-ignore prefer-const
  let roomKeys: RoomKeys | undefined;
  const link = new QuantumLink(store, hub, {
    audit,
    pool,
    config: config.link,
    onRed: () => roomKeys?.destroyAll("link_red"),
    evidence: new LinkEvidence({
      history,
      incidents,
      keyBasisProbability: config.link.settings.keyBasisProbability,
    }),
  });
  roomKeys = new RoomKeys({ link, store, hub, audit });
  return {
    config,
    store,
    etsi: new EtsiKeyStore(store),
    hub,
    audit,
    link,
    history,
    incidents,
    pool,
    broker: new KeyBroker({ link, store, hub, audit }),
    rooms: new RoomRegistry(store),
    roomKeys,
    masterKey,
    ticketKey,
    latency: new LatencyHistogram(),
    routerLastSeen: null,
    timers: [],
  };
}

/**
 * Opens the data directory (database, master key, ticket key), builds the
 * KMS, restores its key pool and starts the link's worker; prunes the
 * database now and every {@linkcode PRUNE_INTERVAL_MS}.
 *
 * @example
 * ```ts ignore
 * const kms = await openKms(parseKmsConfig(Deno.args, Deno.env.get));
 * ```
 */
export async function openKms(config: KmsConfig): Promise<Kms> {
  await Deno.mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const kms = createKms(config, {
    store: new KmsStore(`${config.dataDir}/${DATABASE_FILE}`),
    masterKey: await loadMasterKey(config.dataDir),
    ticketKey: await loadTicketKey(config.dataDir),
  });
  await kms.pool.restore();
  // Room keys lived in the last process's memory only: every room re-keys.
  kms.rooms.bumpAll();
  // dec_keys answers the last process was writing when it died: their keys
  // may not have reached the slave, so it can collect them again.
  const reclaimed = kms.etsi.releaseAll();
  if (reclaimed > 0) {
    kms.audit.record("ETSI_KEYS_RECLAIMED", `count=${reclaimed}`);
  }
  kms.link.attach(new LinkRunner(config.link));
  const prune = () => {
    kms.store.prune(config.retention);
    kms.history.prune(config.retention);
  };
  prune();
  kms.timers.push(
    setInterval(prune, PRUNE_INTERVAL_MS),
    setInterval(() => kms.audit.flush(), FLUSH_INTERVAL_MS),
  );
  return kms;
}

/** Stops the link and the timers, ends event streams, closes the database. */
export function closeKms(kms: Kms): void {
  kms.link.stop();
  kms.incidents.stop();
  kms.pool.close();
  for (const timer of kms.timers) clearInterval(timer);
  kms.audit.flush({ all: true });
  kms.hub.close();
  kms.store.close();
}
