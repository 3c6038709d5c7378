/**
 * The KMS's settings from flags, then environment variables, then defaults.
 *
 * @module
 */

import { ConfigError, parsePort, type ServiceCommand } from "../common/cli.ts";
import { parseArgs } from "../common/std.ts";
import { HISTORY_LENGTH } from "../protocol/mod.ts";
import type { Retention } from "./store.ts";
import {
  LINK_FLAGS,
  LINK_USAGE,
  type LinkConfig,
  parseLinkConfig,
} from "./link_config.ts";
import {
  parseTlsConfig,
  TLS_FLAGS,
  TLS_USAGE,
  type TlsConfig,
} from "./tls_config.ts";

/** Everything the KMS process is told at start. */
export interface KmsConfig {
  /** Listen address. Default 0.0.0.0. */
  host: string;
  /** Listen port. Default 8000. */
  port: number;
  /** Directory for the SQLite database and the master key. Default data/kms. */
  dataDir: string;
  /**
   * The seeds' open mode: no bearer tokens on the pair-key API, tickets for
   * anyone, operator actions for anyone. Default false (`--open`).
   */
  open: boolean;
  /** The simulated link and its key pool (`--misalignment` sets the ~2% QBER). */
  link: LinkConfig;
  /** ETSI GS QKD 014 over mutual TLS (`--https-port`, default 8443). */
  tls: TlsConfig;
  /** How long a relay ticket is valid, in seconds. Default 3600. */
  ticketLifetimeSeconds: number;
  /** How much QBER history, ledger and audit the database keeps. */
  retention: Retention;
}

/** Default {@linkcode KmsConfig.retention}: 30 days, 100 000 rows per table. */
export const DEFAULT_RETENTION: Retention = {
  maxAgeDays: 30,
  maxRows: 100_000,
};

/** Environment variables the KMS reads (named in its permission set). */
export const KMS_ENV = [
  "KMS_HOST",
  "KMS_PORT",
  "KMS_DATA",
  "KMS_OPEN",
  "KMS_REQUIRE_AUTH",
  "KMS_NOISE",
  "KMS_HTTPS_PORT",
] as const;

/** Usage text for `--help`. */
export const KMS_USAGE =
  `QSTCS Key Management Service (Alice of a simulated decoy-state BB84 link)

Usage: deno task kms [options]

  --host HOST       listen address            (env KMS_HOST, default 0.0.0.0)
  --port PORT       listen port               (env KMS_PORT, default 8000)
  --data DIR        database and master key   (env KMS_DATA, default data/kms)
  --open            the seeds' open mode: no bearer tokens, keys in clear to
                    legacy clients, anyone may run operator actions
                    (env KMS_OPEN=1; default off: tokens required)
  --require-auth    the default; accepted for old command lines
  --ticket-lifetime S  relay ticket lifetime in seconds (default 3600)
  --retain-days D   prune QBER history, ledger and audit rows older than D
                    days (default 30)
  --retain-rows N   keep at most the newest N rows of each (default 100000,
                    at least 20)
  --help            this text

${LINK_USAGE}

${TLS_USAGE}

The permission set "kms" in deno.json allows 0.0.0.0:8000, 0.0.0.0:8443 and
data/ only: to listen elsewhere add --allow-net=HOST:PORT; for another data
directory or certificates elsewhere add --allow-read=DIR --allow-write=DIR.`;

/**
 * Parses command-line flags over environment variables.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseKmsConfig } from "./config.ts";
 *
 * const config = parseKmsConfig(["--port", "9000"], () => undefined);
 * assertEquals([config.port, config.host], [9000, "0.0.0.0"]);
 * ```
 */
export function parseKmsConfig(
  args: string[],
  env: (name: string) => string | undefined,
): KmsConfig {
  const flags = parseArgs(args, {
    string: [
      "host",
      "port",
      "data",
      ...LINK_FLAGS,
      ...TLS_FLAGS,
      "ticket-lifetime",
      "retain-days",
      "retain-rows",
    ],
    boolean: ["open", "require-auth", "help"],
    unknown: (arg: string) => {
      throw new ConfigError(`unknown option ${arg}\n\n${KMS_USAGE}`);
    },
  });
  const port = parsePort(flags.port ?? env("KMS_PORT") ?? "8000", {
    name: "port",
  });
  const requireAuth = flags["require-auth"] === true ||
    isOn(env("KMS_REQUIRE_AUTH"));
  const open = flags.open === true || isOn(env("KMS_OPEN"));
  if (open && requireAuth) {
    throw new ConfigError("--open and --require-auth contradict each other");
  }
  const dataDir = flags.data ?? env("KMS_DATA") ?? "data/kms";
  return {
    host: flags.host ?? env("KMS_HOST") ?? "0.0.0.0",
    port,
    dataDir,
    open,
    link: parseLinkConfig(flags, env),
    tls: parseTlsConfig(flags, { dataDir, env }),
    ticketLifetimeSeconds: wholeNumber(flags["ticket-lifetime"], {
      name: "ticket-lifetime",
      fallback: 3600,
      min: 60,
    }),
    retention: {
      maxAgeDays: wholeNumber(flags["retain-days"], {
        name: "retain-days",
        fallback: DEFAULT_RETENTION.maxAgeDays,
        min: 1,
      }),
      // The link's history (what /link_status shows) must survive a restart.
      maxRows: wholeNumber(flags["retain-rows"], {
        name: "retain-rows",
        fallback: DEFAULT_RETENTION.maxRows,
        min: HISTORY_LENGTH,
      }),
    },
  };
}

function isOn(value: string | undefined): boolean {
  return value === "1" || value === "true";
}

function wholeNumber(
  text: string | undefined,
  options: { name: string; fallback: number; min: number },
): number {
  if (text === undefined) return options.fallback;
  const value = Number(text);
  if (
    !/^\d+$/.test(text) || !Number.isSafeInteger(value) || value < options.min
  ) {
    throw new ConfigError(
      `${options.name} must be a whole number of at least ${options.min}, got ${text}`,
    );
  }
  return value;
}

/** The KMS command line: tag, usage and parser, for common/cli.ts `runService`. */
export const KMS_COMMAND: ServiceCommand<KmsConfig> = {
  tag: "KMS",
  usage: KMS_USAGE,
  parse: parseKmsConfig,
};
