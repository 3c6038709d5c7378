/**
 * The dashboard process: `deno task dashboard`.
 *
 * Serves the SOC view on 0.0.0.0:8501 (by default) and follows the KMS at
 * `--kms` (default http://localhost:8000). Prints
 * `[DASHBOARD] listening on http://HOST:PORT` when ready. The islands must be
 * built first (`deno task dashboard:build`, which the task runs).
 *
 * @module
 */

import { createHandler } from "./_fresh/server.ts";
import { runService } from "../common/cli.ts";
import { serveUntilSignal } from "../common/serve.ts";
import { DASHBOARD_COMMAND, type DashboardConfig } from "./config.ts";
import { type AppState, KmsMonitor } from "./kms_monitor.ts";
import { site } from "./site.ts";

async function serveDashboard(config: DashboardConfig): Promise<void> {
  const monitor = new KmsMonitor({
    kmsUrl: config.kmsUrl,
    log: (line) => console.log(`[DASHBOARD] ${line}`),
  });
  monitor.start();
  await serveUntilSignal(
    createHandler<AppState>(site, { state: { monitor } }),
    {
      hostname: config.host,
      port: config.port,
      tag: "DASHBOARD",
      onListen: ({ hostname, port }) => {
        console.log(
          `[DASHBOARD] SOC view of the KMS at ${config.kmsUrl} ` +
            "(BB84 quantum channel: classical simulation)",
        );
        console.log(`[DASHBOARD] listening on http://${hostname}:${port}`);
      },
      // Ends the browsers' event streams, which would keep the server open.
      onStop: () => monitor.close(),
    },
  );
}

if (import.meta.main) await runService(DASHBOARD_COMMAND, serveDashboard);
