/**
 * The relay's settings from flags, then environment variables, then defaults.
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
import {
  CLUSTER_FLAGS,
  CLUSTER_USAGE,
  type ClusterConfig,
  readClusterConfig,
} from "./cluster_config.ts";

/** Limits that keep the relay's memory and CPU bounded. */
export interface RelayLimits {
  /** Largest accepted frame in UTF-8 bytes. Default 64 KiB. */
  maxFrameBytes: number;
  /** Frames a connection may send per second (also the burst). Default 2000. */
  rateLimit: number;
  /**
   * Bytes waiting in a socket's send buffer above which chat frames for it
   * are queued instead of sent. Default 256 KiB.
   */
  maxBufferedBytes: number;
  /** Frames waiting per recipient. Default 256. */
  queueMaxFrames: number;
  /** Bytes waiting per recipient. Default 1 MiB. */
  queueMaxBytes: number;
  /** Bytes waiting for all recipients together. Default 64 MiB. */
  queueTotalBytes: number;
  /**
   * The share of `queueTotalBytes`, and of each recipient's `queueMaxFrames`
   * and `queueMaxBytes`, that frames from one sender may take, so that one
   * sender flooding offline devices cannot starve the others. Default 0.25.
   */
  senderShare: number;
  /** How long a frame may wait, in milliseconds. Default 5 minutes. */
  queueMaxAgeMs: number;
  /**
   * Seconds of silence after which a socket is pinged and, half as long
   * again without an answer, closed; also how long a socket may stay above
   * `maxBufferedBytes` before it is closed as stalled. Default 30.
   */
  idleTimeoutSeconds: number;
  /**
   * Open connections beyond which upgrades are refused with 503. Default
   * 10,000; keep it below the process's open-files limit.
   */
  maxConnections: number;
  /** Open connections from one source address. Default 64. */
  maxConnectionsPerAddress: number;
}

/**
 * Where the KMS's public ticket key comes from: a file as the KMS writes it
 * (`DATA/ticket_key.pub`), or the KMS's `GET /ticket_key`.
 */
export type TicketKeySource = { file: string } | { kmsUrl: string };

/** Everything the relay process is told at start. */
export interface RelayConfig extends RelayLimits {
  /** Listen address. Default 0.0.0.0. */
  host: string;
  /** Listen port. Default 8765 (the port the router guard blocks). */
  port: number;
  /** The key tickets are verified with; at least this or `open`. */
  ticketKey?: TicketKeySource;
  /** Accept registrations without a ticket, as the seeds' relay did. */
  open: boolean;
  /** Run as a node of a cluster on these NATS servers (cluster_config.ts). */
  cluster?: ClusterConfig;
  /** The file holding the token of `GET /devices`; without it there is no such route. */
  adminTokenFile?: string;
}

/**
 * Environment variables the relay reads (named in its permission set); the
 * last two are read by `ws` as it loads, to skip its optional native add-ons.
 */
export const RELAY_ENV = [
  "RELAY_HOST",
  "RELAY_PORT",
  "RELAY_MAX_FRAME_BYTES",
  "RELAY_OPEN",
  "RELAY_NATS",
  "RELAY_NODE_ID",
  "RELAY_ADMIN_TOKEN_FILE",
  "WS_NO_BUFFER_UTIL",
  "WS_NO_UTF_8_VALIDATE",
] as const;

/** Usage text for `--help`. */
export const RELAY_USAGE = `QSTCS zero-knowledge WebSocket relay

Usage: deno task relay (--ticket-key FILE | --kms URL | --open) [options]

  --ticket-key FILE          verify registration tickets with the KMS's public
                             ticket key, as the KMS writes it (DATA/ticket_key.pub)
  --kms URL                  or fetch that key from the KMS's GET /ticket_key at
                             start, retrying until it answers
  --open                     accept registrations without a ticket, as the seeds'
                             relay did: anyone can claim any device name
                             (env RELAY_OPEN=1)
  --admin-token-file FILE    serve GET /devices (devices, queues, drops) to
                             Authorization: Bearer of the token in FILE
                             (env RELAY_ADMIN_TOKEN_FILE; without it: 404)
  --host HOST                listen address (env RELAY_HOST, default 0.0.0.0)
  --port PORT                listen port (env RELAY_PORT, default 8765)
  --max-frame-bytes N        largest frame (env RELAY_MAX_FRAME_BYTES, default 65536)
  --rate-limit N             frames per second per connection (default 2000)
  --max-buffered-bytes N     send buffer per socket before queueing (default 262144)
  --queue-max-frames N       frames waiting per recipient (default 256)
  --queue-max-bytes N        bytes waiting per recipient (default 1048576)
  --queue-total-bytes N      bytes waiting for all recipients (default 67108864)
  --queue-max-age-ms N       how long a frame may wait (default 300000)
  --sender-share FRACTION    of the queue limits one sender may use (default 0.25)
  --idle-timeout SECONDS     ping after half this silence, close after all of it (default 30)
  --max-connections N        open connections (default 10000; keep it below
                             the open-files limit, ulimit -n)
  --max-connections-per-address N
                             open connections from one address (default 64)
${CLUSTER_USAGE}
  --help                     this text

The permission set "relay" in deno.json allows listening on 0.0.0.0:8765,
a KMS at localhost:8000 and reading data/kms/ticket_key.pub: for others add
--allow-net=HOST:PORT,KMS_HOST:PORT,NATS_HOST:PORT or --allow-read=FILE.`;

/** Default limits, for tests and for {@linkcode parseRelayConfig}. */
export const DEFAULT_LIMITS: Readonly<RelayLimits> = {
  maxFrameBytes: 64 * 1024,
  rateLimit: 2000,
  maxBufferedBytes: 256 * 1024,
  queueMaxFrames: 256,
  queueMaxBytes: 1024 * 1024,
  queueTotalBytes: 64 * 1024 * 1024,
  senderShare: 0.25,
  queueMaxAgeMs: 5 * 60 * 1000,
  idleTimeoutSeconds: 30,
  maxConnections: 10_000,
  maxConnectionsPerAddress: 64,
};

// Flag name, limit, and the environment variable that may set it too.
const NUMERIC_FLAGS: [string, keyof RelayLimits, string?][] = [
  ["max-frame-bytes", "maxFrameBytes", "RELAY_MAX_FRAME_BYTES"],
  ["rate-limit", "rateLimit"],
  ["max-buffered-bytes", "maxBufferedBytes"],
  ["queue-max-frames", "queueMaxFrames"],
  ["queue-max-bytes", "queueMaxBytes"],
  ["queue-total-bytes", "queueTotalBytes"],
  ["queue-max-age-ms", "queueMaxAgeMs"],
  ["sender-share", "senderShare"],
  ["idle-timeout", "idleTimeoutSeconds"],
  ["max-connections", "maxConnections"],
  ["max-connections-per-address", "maxConnectionsPerAddress"],
];

/**
 * Parses command-line flags over environment variables over defaults.
 *
 * @throws {ConfigError} for an unknown flag or a value out of range.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseRelayConfig } from "./config.ts";
 *
 * const config = parseRelayConfig(
 *   ["--port", "9000", "--ticket-key", "data/kms/ticket_key.pub"],
 *   () => undefined,
 * );
 * assertEquals([config.host, config.port, config.maxFrameBytes], [
 *   "0.0.0.0",
 *   9000,
 *   65536,
 * ]);
 * assertEquals(config.ticketKey, { file: "data/kms/ticket_key.pub" });
 * assertEquals(config.open, false);
 * ```
 */
export function parseRelayConfig(
  args: string[],
  env: (name: string) => string | undefined,
): RelayConfig {
  const parsed = parseArgs(args, {
    string: [
      "host",
      "port",
      "ticket-key",
      "kms",
      ...CLUSTER_FLAGS,
      "admin-token-file",
      ...NUMERIC_FLAGS.map(([flag]) => flag),
    ],
    boolean: ["help", "open"],
    unknown: (arg: string) => {
      throw new ConfigError(`unknown option ${arg}\n\n${RELAY_USAGE}`);
    },
  });
  const flags = parsed as Record<string, string | undefined>;
  const limits = { ...DEFAULT_LIMITS };
  for (const [flag, key, variable] of NUMERIC_FLAGS) {
    const text = flags[flag] ?? (variable ? env(variable) : undefined);
    if (text !== undefined) limits[key] = positive(flag, text, key);
  }
  const port = parsePort(flags.port ?? env("RELAY_PORT") ?? "8765", {
    name: "port",
  });
  const open = parsed.open === true || env("RELAY_OPEN") === "1";
  const ticketKey = readTicketKeySource(flags["ticket-key"], flags.kms);
  if (!ticketKey && !open) {
    throw new ConfigError(
      "give --ticket-key FILE or --kms URL to verify device tickets, or " +
        "--open (RELAY_OPEN=1) to let anyone register any device name",
    );
  }
  const cluster = readClusterConfig(flags, env);
  const adminTokenFile = flags["admin-token-file"] ??
    env("RELAY_ADMIN_TOKEN_FILE");
  if (adminTokenFile === "") {
    throw new ConfigError("--admin-token-file needs a file");
  }
  return {
    host: flags.host ?? env("RELAY_HOST") ?? "0.0.0.0",
    port,
    ...limits,
    ...(ticketKey ? { ticketKey } : {}),
    open,
    ...(cluster ? { cluster } : {}),
    ...(adminTokenFile ? { adminTokenFile } : {}),
  };
}

function readTicketKeySource(
  file: string | undefined,
  kms: string | undefined,
): TicketKeySource | undefined {
  if (file !== undefined && kms !== undefined) {
    throw new ConfigError("give --ticket-key or --kms, not both");
  }
  if (file !== undefined) {
    if (file === "") throw new ConfigError("--ticket-key needs a file");
    return { file };
  }
  if (kms !== undefined) {
    return {
      kmsUrl: parseUrl(kms, { name: "--kms", protocols: ["http:", "https:"] }),
    };
  }
  return undefined;
}

// The idle timeout may be fractional (tests use short ones); the sender
// share is a fraction of at most 1.
function positive(flag: string, text: string, key: keyof RelayLimits): number {
  const value = Number(text);
  const fractional = key === "idleTimeoutSeconds" || key === "senderShare";
  if (
    text.trim() === "" || !(value > 0) || !Number.isFinite(value) ||
    (!fractional && !Number.isSafeInteger(value)) ||
    (key === "senderShare" && value > 1)
  ) {
    throw new ConfigError(
      `--${flag} must be a positive ${
        fractional ? "number" : "integer"
      }, got ${text}`,
    );
  }
  return value;
}

/** The relay command line: tag, usage and parser, for common/cli.ts `runService`. */
export const RELAY_COMMAND: ServiceCommand<RelayConfig> = {
  tag: "RELAY",
  usage: RELAY_USAGE,
  parse: parseRelayConfig,
};
