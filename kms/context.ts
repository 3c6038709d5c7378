/**
 * The KMS's parts wired together: what every route handler works with.
 *
 * @module
 */

import { Auditor } from "./audit.ts";
import type { KmsConfig } from "./config.ts";
import { EventHub } from "./events.ts";
import { KeyBroker } from "./key_broker.ts";
import { loadMasterKey } from "./master_key.ts";
import { LatencyHistogram } from "../common/prometheus.ts";
import { QuantumLink } from "./quantum_link.ts";
import { KmsStore } from "./store.ts";

/** File name of the SQLite database inside the data directory. */
export const DATABASE_FILE = "kms.db";

/** The KMS's state and services. */
export interface Kms {
  /** What the process was started with. */
  config: KmsConfig;
  /** Counters, history, ledger, ETSI keys, tokens and the audit log. */
  store: KmsStore;
  /** Live event feed. */
  hub: EventHub;
  /** Where audit entries go: SQLite, the console and the event feed. */
  audit: Auditor;
  /** The BB84 link. */
  link: QuantumLink;
  /** Pairing rules and sessions. */
  broker: KeyBroker;
  /** Seals ETSI keys at rest. */
  masterKey: CryptoKey;
  /** Request latency by route. */
  latency: LatencyHistogram;
  /** When a BusyBox wget last polled `/link_status` (ISO), or null. */
  routerLastSeen: string | null;
}

/** What {@linkcode createKms} builds the KMS on. */
export interface KmsParts {
  /** The database (`:memory:` for a KMS that forgets everything). */
  store: KmsStore;
  /** The master key that seals ETSI keys at rest. */
  masterKey: CryptoKey;
  /** Where audit lines go (default console.log). */
  log?: (line: string) => void;
}

/**
 * Builds the KMS on an open database and master key.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { importAesKey } from "../protocol/mod.ts";
 * import { parseKmsConfig } from "./config.ts";
 * import { closeKms, createKms } from "./context.ts";
 * import { KmsStore } from "./store.ts";
 *
 * const kms = createKms(parseKmsConfig([], () => undefined), {
 *   store: new KmsStore(":memory:"),
 *   masterKey: await importAesKey(new Uint8Array(32)),
 *   log: () => {},
 * });
 * assertEquals(kms.link.status, "GREEN");
 * closeKms(kms);
 * ```
 */
export function createKms(config: KmsConfig, parts: KmsParts): Kms {
  const { store, masterKey } = parts;
  const hub = new EventHub();
  const audit = new Auditor(store, hub, { log: parts.log });
  const link = new QuantumLink(store, hub, {
    noiseLevel: config.noiseLevel,
    audit,
  });
  return {
    config,
    store,
    hub,
    audit,
    link,
    broker: new KeyBroker({ link, store, hub, audit }),
    masterKey,
    latency: new LatencyHistogram(),
    routerLastSeen: null,
  };
}

/**
 * Opens the data directory (database and master key) and builds the KMS.
 *
 * @example
 * ```ts ignore
 * const kms = await openKms(parseKmsConfig(Deno.args, Deno.env.get));
 * ```
 */
export async function openKms(config: KmsConfig): Promise<Kms> {
  await Deno.mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  return createKms(config, {
    store: new KmsStore(`${config.dataDir}/${DATABASE_FILE}`),
    masterKey: await loadMasterKey(config.dataDir),
  });
}

/** Closes the database and ends event streams. */
export function closeKms(kms: Kms): void {
  kms.hub.close();
  kms.store.close();
}
