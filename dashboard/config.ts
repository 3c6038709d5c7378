/**
 * The dashboard's settings from flags, then environment variables, then
 * defaults.
 *
 * @module
 */

import {
  ConfigError,
  parsePort,
  parseUrl,
  type ServiceCommand,
} from "../common/cli.ts";
import { parseArgs } from "../common/std.ts";

/** Everything the dashboard process is told at start. */
export interface DashboardConfig {
  /** Listen address. Default 0.0.0.0. */
  host: string;
  /** Listen port. Default 8501 (the seed's dashboard port). */
  port: number;
  /** Base URL of the KMS, without a trailing slash. Default http://localhost:8000. */
  kmsUrl: string;
}

/** Usage text for `--help`. */
export const DASHBOARD_USAGE = `QSTCS SOC dashboard (browser view of the KMS)

Usage: deno task dashboard [options]

  --host HOST   listen address  (env DASHBOARD_HOST, default 0.0.0.0)
  --port PORT   listen port     (env DASHBOARD_PORT, default 8501)
  --kms URL     the KMS         (env KMS_URL, default http://localhost:8000)
  --help        this text

The permission set "dashboard" in deno.json allows listening on 0.0.0.0:8501
and reaching the KMS at localhost:8000 or 127.0.0.1:8000 only. For anything
else run it as
  deno run -P=dashboard --allow-net=HOST:PORT,KMSHOST:KMSPORT dashboard/main.ts ...`;

/**
 * Parses command-line flags over environment variables.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseDashboardConfig } from "./config.ts";
 *
 * const config = parseDashboardConfig(["--kms", "http://10.0.0.5:8000/"], () => undefined);
 * assertEquals([config.port, config.kmsUrl], [8501, "http://10.0.0.5:8000"]);
 * ```
 */
export function parseDashboardConfig(
  args: string[],
  env: (name: string) => string | undefined,
): DashboardConfig {
  const flags = parseArgs(args, {
    string: ["host", "port", "kms"],
    boolean: ["help"],
    unknown: (arg: string) => {
      throw new ConfigError(`unknown option ${arg}\n\n${DASHBOARD_USAGE}`);
    },
  });
  return {
    host: flags.host ?? env("DASHBOARD_HOST") ?? "0.0.0.0",
    port: parsePort(flags.port ?? env("DASHBOARD_PORT") ?? "8501", {
      name: "port",
    }),
    kmsUrl: parseUrl(flags.kms ?? env("KMS_URL") ?? "http://localhost:8000", {
      name: "--kms",
      protocols: ["http:", "https:"],
    }),
  };
}

/** The dashboard command line: tag, usage and parser, for common/cli.ts `runService`. */
export const DASHBOARD_COMMAND: ServiceCommand<DashboardConfig> = {
  tag: "DASHBOARD",
  usage: DASHBOARD_USAGE,
  parse: parseDashboardConfig,
};
