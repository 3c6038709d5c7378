/**
 * The KMS process: `deno task kms`.
 *
 * @module
 */

import { requireNet } from "../common/net_permission.ts";
import { ConfigError, runService } from "../common/cli.ts";
import { type GuardedServer, listenGuarded } from "../common/guarded_server.ts";
import { serveUntilSignal } from "../common/serve.ts";
import { KMS_COMMAND, type KmsConfig } from "./config.ts";
import { closeKms, DATABASE_FILE, type Kms, openKms } from "./context.ts";
import { MASTER_KEY_FILE } from "./master_key.ts";
import { unreadableWorkerFiles } from "./link_runner.ts";
import { createEtsiTlsHandler, createHandler } from "./server.ts";
import { loadTlsCredentials } from "./tls_config.ts";
import { TICKET_PUBLIC_KEY_FILE } from "../protocol/mod.ts";
import { TICKET_KEY_FILE } from "./ticket_key.ts";

/** LAN addresses to print, so laptops on the LAN know where to connect. */
function lanAddresses(): string[] {
  try {
    return Deno.networkInterfaces()
      .filter((i) => i.family === "IPv4" && !i.address.startsWith("127."))
      .map((i) => i.address);
  } catch {
    return [];
  }
}

const KMS_PROCESS = { set: "kms", entry: "kms/main.ts" };

// The ETSI 014 listener over mutual TLS, if its certificates are there. A
// port or file named explicitly that does not work stops the KMS (exit 2);
// missing default files only leave it off, with one line saying why.
async function listenEtsiTls(
  kms: Kms,
  config: KmsConfig,
): Promise<GuardedServer | undefined> {
  const { tls } = config;
  const loaded = await loadTlsCredentials(tls);
  if (!loaded.ok) {
    if (loaded.reason === "missing_defaults") {
      console.log(`[KMS] ${loaded.message}`);
    }
    return undefined;
  }
  await requireNet([`${config.host}:${tls.port}`], {
    ...KMS_PROCESS,
    also: [`${config.host}:${config.port}`],
  });
  try {
    const server = await listenGuarded(createEtsiTlsHandler(kms), {
      hostname: config.host,
      port: tls.port,
      tls: loaded.credentials,
      log: (line) => console.log(`[KMS] https: ${line}`),
    });
    const host = config.host === "0.0.0.0" ? "localhost" : config.host;
    console.log(
      `[KMS] ETSI 014 over mutual TLS on https://${host}:${server.addr.port}/api/v1/keys/ ` +
        `(CA ${tls.ca}; SAE id from the certificate's ${
          tls.saeId === "cn" ? "CN" : "SAN URI"
        })`,
    );
    return server;
  } catch (error) {
    const why = `ETSI 014 over mutual TLS on port ${tls.port}: ${
      error instanceof Error ? error.message : error
    }`;
    if (tls.explicit) throw new ConfigError(why);
    console.log(`[KMS] ${why}; HTTPS is off`);
    return undefined;
  }
}

async function serveKms(config: KmsConfig): Promise<void> {
  await requireNet([`${config.host}:${config.port}`], {
    ...KMS_PROCESS,
    also: config.tls.port > 0 ? [`${config.host}:${config.tls.port}`] : [],
  });
  const unreadable = unreadableWorkerFiles();
  if (unreadable.length > 0) {
    console.error(
      `[KMS] the link's worker cannot load: no read permission for ${
        unreadable.join(", ")
      } (the kms permission set grants ./kms/link_worker.ts and ./quantum; ` +
        "an --allow-read flag replaces that list, so name them in it too)",
    );
    Deno.exit(2);
  }
  const kms = await openKms(config);
  console.log(
    "[KMS] QSTCS Key Management Service: Alice of a simulated decoy-state " +
      "BB84 link (classical simulation of the channel; finite-key bound, " +
      "Cascade, Toeplitz hashing, HKDF, AES-256-GCM and ML-KEM-768 are real)",
  );
  console.log(
    `[KMS] data in ${config.dataDir}/ (${DATABASE_FILE}, ${MASTER_KEY_FILE}, ` +
      `${TICKET_KEY_FILE}); link ${kms.link.status}` +
      (config.open ? "" : "; bearer tokens required"),
  );
  const s = config.link.settings;
  console.log(
    `[KMS] simulated link: ${s.distanceKm} km, misalignment ${s.misalignmentError}, ` +
      `${s.pulseRate} pulses/s, blocks of ${s.blockSize} detections; ` +
      `key pool ${kms.pool.bits}/${config.link.poolCapacityBits} bits`,
  );
  console.log(
    `[KMS] relay ticket key: ${config.dataDir}/${TICKET_PUBLIC_KEY_FILE} ` +
      "(give it to relays with --ticket-key FILE)",
  );
  if (config.open) {
    console.log(
      "[KMS] WARNING: --open: no bearer tokens required. Anyone on this " +
        "network can take pair keys (sent in clear to legacy clients), get " +
        "relay tickets for any device, force attacks and reset the link. " +
        "Use it only for seed-era clients on a network you trust.",
    );
  }
  let etsiTls: GuardedServer | undefined;
  try {
    etsiTls = await listenEtsiTls(kms, config);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`[KMS] ${error.message}`);
    closeKms(kms);
    Deno.exit(2);
  }
  await serveUntilSignal(createHandler(kms), {
    hostname: config.host,
    port: config.port,
    tag: "KMS",
    onListen: ({ hostname, port }) => {
      console.log(`[KMS] listening on http://${hostname}:${port}`);
      if (hostname === "0.0.0.0") {
        for (const address of lanAddresses()) {
          console.log(`[KMS] LAN address: http://${address}:${port}`);
        }
      }
    },
    // Stops the link's worker and ends the dashboards' event streams, which
    // would keep the server open.
    onStop: async () => {
      kms.link.stop();
      kms.hub.close();
      await etsiTls?.close();
    },
  });
  closeKms(kms);
}

if (import.meta.main) await runService(KMS_COMMAND, serveKms);
