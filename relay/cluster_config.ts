/**
 * The relay's cluster flags: `--nats URL[,URL…]` (env `RELAY_NATS`) makes
 * the relay a node of a cluster on those NATS servers, `--node-id` names
 * the node (env `RELAY_NODE_ID`; default a random one), `--nats-replicas`
 * sets the replicas of the shared stream and bucket.
 *
 * @module
 */

import { ConfigError, parseUrl } from "../common/cli.ts";

/** How the node joins its cluster. */
export interface ClusterConfig {
  /** NATS server URLs, `nats://HOST:PORT`, without credentials. */
  servers: string[];
  /** This node's id, in logs, metrics and its own NATS subjects. */
  nodeId: string;
  /** Replicas of the JetStream stream and KV bucket (1, or 3 on three NATS hosts). */
  replicas: number;
}

/** The string flags {@linkcode readClusterConfig} reads. */
export const CLUSTER_FLAGS = ["nats", "node-id", "nats-replicas"] as const;

/** The flags' part of the relay's usage text. */
export const CLUSTER_USAGE =
  `  --nats URL[,URL...]        run as a node of a relay cluster on these NATS
                             servers with JetStream (env RELAY_NATS), e.g.
                             nats://127.0.0.1:4222; give IP addresses
  --node-id ID               this node's id (env RELAY_NODE_ID, default random)
  --nats-replicas N          replicas of the queue stream and the buckets
                             (default 1; 3 on a NATS cluster of three)`;

const NODE_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * Reads the cluster flags; `undefined` without `--nats`.
 *
 * @throws {ConfigError} for a URL that is not `nats://HOST:PORT`, one with
 * credentials (nats.js would not use them, and the server's refusal kills
 * the process), or a bad node id.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { readClusterConfig } from "./cluster_config.ts";
 *
 * const config = readClusterConfig(
 *   { nats: "nats://10.0.0.1:4222,nats://10.0.0.2:4222", "node-id": "r1" },
 *   () => undefined,
 * );
 * assertEquals(config, {
 *   servers: ["nats://10.0.0.1:4222", "nats://10.0.0.2:4222"],
 *   nodeId: "r1",
 *   replicas: 1,
 * });
 * assertEquals(readClusterConfig({}, () => undefined), undefined);
 * ```
 */
export function readClusterConfig(
  flags: Record<string, string | undefined>,
  env: (name: string) => string | undefined,
): ClusterConfig | undefined {
  const list = flags.nats ?? env("RELAY_NATS");
  if (list === undefined || list === "") return undefined;
  const servers = list.split(",").map((text) => {
    const url = new URL(
      parseUrl(text.trim(), { name: "--nats", protocols: ["nats:"] }),
    );
    if (url.username || url.password) {
      throw new ConfigError("--nats URLs must not carry credentials");
    }
    return `nats://${url.host}`;
  });
  const nodeId = flags["node-id"] ?? env("RELAY_NODE_ID") ??
    `relay-${crypto.randomUUID().slice(0, 8)}`;
  if (!NODE_ID.test(nodeId)) {
    throw new ConfigError(
      "--node-id must be 1 to 64 letters, digits or _ . : -",
    );
  }
  const replicas = Number(flags["nats-replicas"] ?? "1");
  if (!Number.isSafeInteger(replicas) || replicas < 1 || replicas > 5) {
    throw new ConfigError("--nats-replicas must be an integer from 1 to 5");
  }
  return { servers, nodeId, replicas };
}

/**
 * The `host:port` a NATS URL connects to, for `requireNet`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { natsAddress } from "./cluster_config.ts";
 *
 * assertEquals(natsAddress("nats://10.0.0.1"), "10.0.0.1:4222");
 * ```
 */
export function natsAddress(url: string): string {
  const { hostname, port } = new URL(url);
  return `${hostname}:${port || 4222}`;
}
