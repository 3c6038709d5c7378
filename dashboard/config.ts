/**
 * The dashboard's settings from flags, then environment variables, then
 * defaults.
 *
 * @module
 */

import { parseArgs } from "@std/cli/parse-args";

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

/** A bad flag or variable, with a message for the operator. */
export class ConfigError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/**
 * Parses command-line flags over environment variables.
 *
 * @example
 * ```ts
 * import { parseDashboardConfig } from "./config.ts";
 * const config = parseDashboardConfig(["--kms", "http://10.0.0.5:8000/"], () => undefined);
 * console.log(config.port, config.kmsUrl); // 8501 http://10.0.0.5:8000
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
  const portText = flags.port ?? env("DASHBOARD_PORT");
  const port = Number(portText ?? 8501);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`port must be 0..65535, got ${portText}`);
  }
  const kmsText = flags.kms ?? env("KMS_URL") ?? "http://localhost:8000";
  let kms: URL;
  try {
    kms = new URL(kmsText);
  } catch {
    throw new ConfigError(`--kms must be a URL, got ${kmsText}`);
  }
  if (kms.protocol !== "http:" && kms.protocol !== "https:") {
    throw new ConfigError(`--kms must be http or https, got ${kmsText}`);
  }
  return {
    host: flags.host ?? env("DASHBOARD_HOST") ?? "0.0.0.0",
    port,
    kmsUrl: kms.href.replace(/\/+$/, ""),
  };
}
