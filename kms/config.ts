/**
 * The KMS's settings from flags, then environment variables, then defaults.
 *
 * @module
 */

import { ConfigError, parsePort, type ServiceCommand } from "../common/cli.ts";
import { parseArgs } from "../common/std.ts";

/** Everything the KMS process is told at start. */
export interface KmsConfig {
  /** Listen address. Default 0.0.0.0. */
  host: string;
  /** Listen port. Default 8000. */
  port: number;
  /** Directory for the SQLite database and the master key. Default data/kms. */
  dataDir: string;
  /** Require bearer tokens on the pair-key API too. Default false. */
  requireAuth: boolean;
  /** Channel noise of the simulated link, so the demo shows QBER about 2%. */
  noiseLevel: number;
}

/** Environment variables the KMS reads (named in its permission set). */
export const KMS_ENV = [
  "KMS_HOST",
  "KMS_PORT",
  "KMS_DATA",
  "KMS_REQUIRE_AUTH",
  "KMS_NOISE",
] as const;

/** Usage text for `--help`. */
export const KMS_USAGE =
  `QSTCS Key Management Service (Alice of the simulated BB84 link)

Usage: deno task kms [options]

  --host HOST       listen address            (env KMS_HOST, default 0.0.0.0)
  --port PORT       listen port               (env KMS_PORT, default 8000)
  --data DIR        database and master key   (env KMS_DATA, default data/kms)
  --require-auth    bearer tokens on the pair-key API too (env KMS_REQUIRE_AUTH=1)
  --noise P         simulated channel noise   (env KMS_NOISE, default 0.02)
  --help            this text

The permission set "kms" in deno.json allows 0.0.0.0:8000 and data/ only: to
listen elsewhere add --allow-net=HOST:PORT; for another data directory add
--allow-read=DIR --allow-write=DIR.`;

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
    string: ["host", "port", "data", "noise"],
    boolean: ["require-auth", "help"],
    unknown: (arg: string) => {
      throw new ConfigError(`unknown option ${arg}\n\n${KMS_USAGE}`);
    },
  });
  const port = parsePort(flags.port ?? env("KMS_PORT") ?? "8000", {
    name: "port",
  });
  const noiseLevel = Number(flags.noise ?? env("KMS_NOISE") ?? 0.02);
  if (!(noiseLevel >= 0 && noiseLevel <= 0.5)) {
    throw new ConfigError(
      `noise must be 0..0.5, got ${flags.noise ?? env("KMS_NOISE")}`,
    );
  }
  const authEnv = env("KMS_REQUIRE_AUTH");
  return {
    host: flags.host ?? env("KMS_HOST") ?? "0.0.0.0",
    port,
    dataDir: flags.data ?? env("KMS_DATA") ?? "data/kms",
    requireAuth: flags["require-auth"] === true || authEnv === "1" ||
      authEnv === "true",
    noiseLevel,
  };
}

/** The KMS command line: tag, usage and parser, for common/cli.ts `runService`. */
export const KMS_COMMAND: ServiceCommand<KmsConfig> = {
  tag: "KMS",
  usage: KMS_USAGE,
  parse: parseKmsConfig,
};
