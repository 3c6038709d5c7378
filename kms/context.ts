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
  /** Settings. */
  config: KmsConfig;
  /** SQLite. */
  store: KmsStore;
  /** Live event feed. */
  hub: EventHub;
  /** Audit trail. */
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

/**
 * Opens the data directory and builds the KMS.
 *
 * @example
 * ```ts ignore
 * const kms = await openKms(parseKmsConfig(Deno.args, Deno.env.get));
 * ```
 */
export async function openKms(
  config: KmsConfig,
  options: { log?: (line: string) => void } = {},
): Promise<Kms> {
  await Deno.mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const store = new KmsStore(`${config.dataDir}/${DATABASE_FILE}`);
  const hub = new EventHub();
  const audit = new Auditor(store, hub, options.log);
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
    masterKey: await loadMasterKey(config.dataDir),
    latency: new LatencyHistogram(),
    routerLastSeen: null,
  };
}

/** Closes the database and ends event streams. */
export function closeKms(kms: Kms): void {
  kms.hub.close();
  kms.store.close();
}
