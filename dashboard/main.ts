/**
 * The dashboard process: `deno task dashboard`.
 *
 * Serves the SOC view on 0.0.0.0:8501 (by default) to the operator who logs
 * in with the credential of `--operator-credentials`, and follows the KMS at
 * `--kms` (default http://localhost:8000). Prints
 * `[DASHBOARD] listening on http://HOST:PORT` when ready. The islands must be
 * built first (`deno task dashboard:build`, which the task runs).
 *
 * @module
 */

import { createHandler } from "./_fresh/server.ts";
import { ConfigError, runService } from "../common/cli.ts";
import { requireNet, urlAddress } from "../common/net_permission.ts";
import { serveUntilSignal } from "../common/serve.ts";
import type { AppState } from "./app_state.ts";
import {
  DASHBOARD_COMMAND,
  type DashboardConfig,
  readOperatorCredentials,
} from "./config.ts";
import { KmsMonitor } from "./kms_monitor.ts";
import { OperatorAuth } from "./operator_auth.ts";
import type { Credentials } from "../protocol/credentials.ts";
import { site } from "./site.ts";

const log = (line: string) => console.log(`[DASHBOARD] ${line}`);

/** The configured operator, or null; a bad file ends the process (exit 2). */
async function operator(config: DashboardConfig): Promise<Credentials | null> {
  if (config.operatorCredentials === undefined) {
    log(
      "no --operator-credentials: nobody can log in, Force Attack and Reset are off",
    );
    return null;
  }
  try {
    const credentials = await readOperatorCredentials(
      config.operatorCredentials,
    );
    log(`operator ${credentials.device_id} may log in`);
    return credentials;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`[DASHBOARD] ${error.message}`);
    Deno.exit(2);
  }
}

async function serveDashboard(config: DashboardConfig): Promise<void> {
  await requireNet(
    [`${config.host}:${config.port}`, urlAddress(config.kmsUrl)],
    { set: "dashboard", entry: "dashboard/main.ts" },
  );
  const credentials = await operator(config);
  const auth = new OperatorAuth(credentials, { log });
  const monitor = new KmsMonitor({
    kmsUrl: config.kmsUrl,
    log,
    operatorToken: credentials?.token,
  });
  const state: AppState = { monitor, auth, log };
  monitor.start();
  await serveUntilSignal(
    createHandler<AppState>(site, { state }),
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
