/**
 * The dashboard's settings from flags, then environment variables, then
 * defaults.
 *
 * @module
 */

import { errorMessage } from "../common/error_message.ts";
import {
  ConfigError,
  parsePort,
  parseUrl,
  type ServiceCommand,
} from "../common/cli.ts";
import { parseArgs } from "../common/std.ts";
import { type Credentials, parseCredentials } from "../protocol/credentials.ts";

/** Everything the dashboard process is told at start. */
export interface DashboardConfig {
  /** Listen address. Default 0.0.0.0. */
  host: string;
  /** Listen port. Default 8501 (the seed's dashboard port). */
  port: number;
  /** Base URL of the KMS, without a trailing slash. Default http://localhost:8000. */
  kmsUrl: string;
  /**
   * The operator's credentials file, whose token the dashboard sends on
   * Force Attack and Reset and whose name and token browsers log in with.
   * Without one nobody can log in.
   */
  operatorCredentials?: string;
  /** Base URL of the relay's HTTP side (its `GET /devices`), if the network view should show it. */
  relayUrl?: string;
  /** The file holding the relay's admin token (`--admin-token-file` of the relay). */
  relayTokenFile?: string;
}

/** Usage text for `--help`. */
export const DASHBOARD_USAGE = `QSTCS SOC dashboard (browser view of the KMS)

Usage: deno task dashboard [options]

  --host HOST   listen address  (env DASHBOARD_HOST, default 0.0.0.0)
  --port PORT   listen port     (env DASHBOARD_PORT, default 8501)
  --kms URL     the KMS         (env KMS_URL, default http://localhost:8000)
  --operator-credentials FILE
                the operator's credentials file (env
                DASHBOARD_OPERATOR_CREDENTIALS), from
                  deno task kms:enroll Operator --role operator \\
                    --credentials credentials/Operator.json
                Browsers log in with its name and token; without it nobody
                can log in and the view is closed.
  --relay URL   the relay's HTTP address, e.g. http://localhost:8765 (env
                DASHBOARD_RELAY_URL): the network view shows its devices,
                queues and drops
  --relay-token-file FILE
                the relay's admin token (env DASHBOARD_RELAY_TOKEN_FILE),
                the file the relay's --admin-token-file names; needed with
                --relay and kept on this server
  --help        this text

The permission set "dashboard" in deno.json allows listening on 0.0.0.0:8501,
reaching the KMS at localhost:8000 or 127.0.0.1:8000 and the relay at
localhost:8765 or 127.0.0.1:8765, and reading ./credentials only. For anything
else run it as
  deno run -P=dashboard --allow-net=HOST:PORT,KMSHOST:KMSPORT,RELAYHOST:RELAYPORT dashboard/main.ts ...`;

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
    string: [
      "host",
      "port",
      "kms",
      "operator-credentials",
      "relay",
      "relay-token-file",
    ],
    boolean: ["help"],
    unknown: (arg: string) => {
      throw new ConfigError(`unknown option ${arg}\n\n${DASHBOARD_USAGE}`);
    },
  });
  const relay = flags.relay ?? env("DASHBOARD_RELAY_URL");
  const relayTokenFile = flags["relay-token-file"] ??
    env("DASHBOARD_RELAY_TOKEN_FILE");
  if ((relay === undefined) !== (relayTokenFile === undefined)) {
    throw new ConfigError(
      "give --relay URL and --relay-token-file FILE together (the relay's GET /devices needs its admin token)",
    );
  }
  return {
    host: flags.host ?? env("DASHBOARD_HOST") ?? "0.0.0.0",
    port: parsePort(flags.port ?? env("DASHBOARD_PORT") ?? "8501", {
      name: "port",
    }),
    kmsUrl: parseUrl(flags.kms ?? env("KMS_URL") ?? "http://localhost:8000", {
      name: "--kms",
      protocols: ["http:", "https:"],
    }),
    operatorCredentials: flags["operator-credentials"] ??
      env("DASHBOARD_OPERATOR_CREDENTIALS"),
    ...(relay === undefined ? {} : {
      relayUrl: parseUrl(relay, {
        name: "--relay",
        protocols: ["http:", "https:"],
      }),
      relayTokenFile,
    }),
  };
}

/**
 * Reads an operator's credentials file; a missing or unreadable file, a bad
 * one or a device's is a {@linkcode ConfigError} that says which.
 *
 * @example
 * ```ts
 * import { assertEquals, assertRejects } from "@std/assert";
 * import { ConfigError } from "../common/cli.ts";
 * import { readOperatorCredentials } from "./config.ts";
 *
 * const file = await Deno.makeTempFile();
 * await Deno.writeTextFile(file, '{"device_id":"Operator","token":"op-token-0123456789","role":"operator"}');
 * assertEquals((await readOperatorCredentials(file)).device_id, "Operator");
 * await Deno.writeTextFile(file, '{"device_id":"Soldier_Alpha","token":"t0k3n-0123456789","role":"device"}');
 * await assertRejects(() => readOperatorCredentials(file), ConfigError, "a device's credentials");
 * await Deno.remove(file);
 * ```
 */
export async function readOperatorCredentials(
  path: string,
): Promise<Credentials> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new ConfigError(
      `--operator-credentials ${path}: cannot read it (${errorMessage(error)})`,
    );
  }
  const parsed = parseCredentials(text);
  if (!parsed.ok) {
    throw new ConfigError(
      `--operator-credentials ${path}: not a credentials file (${parsed.reason})`,
    );
  }
  if (parsed.credentials.role !== "operator") {
    throw new ConfigError(
      `--operator-credentials ${path} holds a device's credentials; enroll an operator with --role operator`,
    );
  }
  return parsed.credentials;
}

// Shorter tokens are typos or placeholders, not secrets.
const MIN_TOKEN_LENGTH = 16;

/**
 * Reads the relay's admin token file: one token of at least 16 characters;
 * anything else is a {@linkcode ConfigError} that says why.
 *
 * @example
 * ```ts
 * import { assertEquals, assertRejects } from "@std/assert";
 * import { ConfigError } from "../common/cli.ts";
 * import { readRelayToken } from "./config.ts";
 *
 * const file = await Deno.makeTempFile();
 * await Deno.writeTextFile(file, "relay-admin-0123456789\n");
 * assertEquals(await readRelayToken(file), "relay-admin-0123456789");
 * await Deno.writeTextFile(file, "short");
 * await assertRejects(() => readRelayToken(file), ConfigError, "at least 16");
 * await Deno.remove(file);
 * ```
 */
export async function readRelayToken(path: string): Promise<string> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new ConfigError(
      `--relay-token-file ${path}: cannot read it (${errorMessage(error)})`,
    );
  }
  const token = text.trim();
  if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
    throw new ConfigError(
      `--relay-token-file ${path}: expected one token of at least ${MIN_TOKEN_LENGTH} characters`,
    );
  }
  return token;
}

/** The dashboard command line: tag, usage and parser, for common/cli.ts `runService`. */
export const DASHBOARD_COMMAND: ServiceCommand<DashboardConfig> = {
  tag: "DASHBOARD",
  usage: DASHBOARD_USAGE,
  parse: parseDashboardConfig,
};
