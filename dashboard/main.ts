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
  readRelayToken,
} from "./config.ts";
import { KmsMonitor } from "./kms_monitor.ts";
import { OperatorAuth } from "./operator_auth.ts";
import type { Credentials } from "../protocol/credentials.ts";
import { site } from "./site.ts";
import { SocQueries } from "./soc_queries.ts";

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

/** The relay's admin token, if a relay is configured; a bad file ends the process (exit 2). */
async function relayToken(
  config: DashboardConfig,
): Promise<string | undefined> {
  if (config.relayTokenFile === undefined) return undefined;
  try {
    const token = await readRelayToken(config.relayTokenFile);
    log(`the network view reads the relay's devices at ${config.relayUrl}`);
    return token;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`[DASHBOARD] ${error.message}`);
    Deno.exit(2);
  }
}

async function serveDashboard(config: DashboardConfig): Promise<void> {
  await requireNet(
    [
      `${config.host}:${config.port}`,
      urlAddress(config.kmsUrl),
      ...(config.relayUrl ? [urlAddress(config.relayUrl)] : []),
    ],
    { set: "dashboard", entry: "dashboard/main.ts" },
  );
  const credentials = await operator(config);
  const auth = new OperatorAuth(credentials, { log });
  const monitor = new KmsMonitor({
    kmsUrl: config.kmsUrl,
    log,
    operatorToken: credentials?.token,
  });
  const queries = new SocQueries({
    kmsUrl: config.kmsUrl,
    operatorToken: credentials?.token,
    relayUrl: config.relayUrl,
    relayToken: await relayToken(config),
  });
  const state: AppState = { monitor, auth, queries, log };
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
  // Served and closed: a browser that vanished without closing its socket,
  // or a pooled connection to the KMS or the relay, must not keep the
  // process alive after SIGTERM (a browser test once waited on one for
  // minutes), as the relay's main also says.
  Deno.exit(0);
}

if (import.meta.main) await runService(DASHBOARD_COMMAND, serveDashboard);
