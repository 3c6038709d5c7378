/**
 * The KMS process: `deno task kms`.
 *
 * @module
 */

import { runService } from "../common/cli.ts";
import { serveUntilSignal } from "../common/serve.ts";
import { KMS_COMMAND, type KmsConfig } from "./config.ts";
import { closeKms, DATABASE_FILE, openKms } from "./context.ts";
import { MASTER_KEY_FILE } from "./master_key.ts";
import { unreadableWorkerFiles } from "./link_runner.ts";
import { createHandler } from "./server.ts";
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

async function serveKms(config: KmsConfig): Promise<void> {
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
    onStop: () => {
      kms.link.stop();
      kms.hub.close();
    },
  });
  closeKms(kms);
}

if (import.meta.main) await runService(KMS_COMMAND, serveKms);
