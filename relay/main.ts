/**
 * The relay process: `deno task relay`.
 *
 * Loads the KMS's public ticket key (or runs `--open`), then prints
 * `[RELAY] listening on ws://HOST:PORT` when ready, then a line per
 * connection, registration, routing decision and disconnection, never with
 * a frame's contents; lines about single frames beyond 50 a second are
 * counted in a summary line instead, so a flood cannot slow the relay down.
 *
 * @module
 */

import { errorMessage } from "../common/error_message.ts";
import { runService } from "../common/cli.ts";
import { RELAY_SHUTDOWN_REASON } from "../protocol/mod.ts";
import { requireNet, urlAddress } from "../common/net_permission.ts";
import { RELAY_COMMAND, type RelayConfig } from "./config.ts";
import { listenUntilSignal } from "./http_listen.ts";
import { CloseCode, Hub } from "./hub.ts";
import { LogThrottle } from "./log_throttle.ts";
import { createRelayHandler } from "./server.ts";
import type { ClusterBinding } from "./cluster.ts";
import { natsAddress } from "./cluster_config.ts";
import { readAdminToken } from "./device_report.ts";
import { loadTicketKey } from "./ticket_key.ts";
import { HARD_LIMIT_FACTOR, RelaySockets } from "./websocket_server.ts";

// How often queues drain into sockets that have room again and presence
// goes out: the added latency of both.
const TICK_MS = 25;
// Lines about single frames print up to this rate, then are only counted.
const FRAME_LINES_PER_SECOND = 50;
// TCP connections beyond --max-connections kept for plain HTTP requests.
const HTTP_HEADROOM = 64;

async function serveRelay(config: RelayConfig): Promise<void> {
  const source = config.ticketKey;
  await requireNet([
    `${config.host}:${config.port}`,
    ...(source && "kmsUrl" in source ? [urlAddress(source.kmsUrl)] : []),
    ...config.cluster?.servers.map(natsAddress) ?? [],
  ], { set: "relay", entry: "relay/main.ts" });
  const log = (line: string) => console.log(`[RELAY] ${line}`);
  const kmsKey = await ticketKey(config, log);
  const cluster = config.cluster && await joinCluster(config, log);
  const adminToken = await deviceReportToken(config, log);
  const frameLines = new LogThrottle(log, {
    linesPerSecond: FRAME_LINES_PER_SECOND,
  });
  const hub = new Hub({
    limits: config,
    log,
    logFrame: (line) => frameLines.line(line),
    kmsKey,
    open: config.open,
    cluster,
  });
  const sockets = new RelaySockets(hub, { ...config, log });
  const ticker = setInterval(() => {
    hub.tick();
    frameLines.flush();
  }, TICK_MS);
  try {
    await listenUntilSignal({
      hostname: config.host,
      port: config.port,
      handler: createRelayHandler(hub, { adminToken }),
      upgrade: (request, socket, head) =>
        sockets.upgrade(request, socket, head),
      // Room for /healthz and /metrics when the WebSockets are at their cap.
      maxConnections: config.maxConnections + HTTP_HEADROOM,
      maxConnectionsPerAddress: config.maxConnectionsPerAddress,
      log,
      onListen: ({ hostname, port }) => {
        printLimits(config);
        console.log(`[RELAY] listening on ws://${hostname}:${port}`);
      },
      onStop: () => {
        clearInterval(ticker);
        sockets.close();
        hub.closeAll(CloseCode.goingAway, RELAY_SHUTDOWN_REASON);
      },
    });
  } catch (error) {
    console.error(
      `[RELAY] cannot listen on ${config.host}:${config.port}: ${
        errorMessage(error)
      }`,
    );
    Deno.exit(1);
  }
  // Releases this node's claims for other nodes to take at once.
  await hub.cluster?.close();
  // Sockets of clients that vanished may still hold the event loop.
  Deno.exit(0);
}

async function joinCluster(
  config: RelayConfig,
  log: (line: string) => void,
): Promise<ClusterBinding> {
  const { servers, nodeId, replicas } = config.cluster!;
  // Loaded only for a cluster: a single relay runs without the NATS client.
  const { openNatsLink } = await import("./nats_link.ts");
  const { natsCluster } = await import("./nats_cluster.ts");
  const link = await openNatsLink({
    servers,
    node: nodeId,
    limits: config,
    replicas,
    log,
  });
  log(
    `node ${nodeId} of a relay cluster on NATS ${servers.join(", ")}: ` +
      "frames for devices on other nodes go over NATS, frames for offline " +
      "devices wait in JetStream",
  );
  return natsCluster(link, nodeId);
}

// The key, or undefined with --open alone; a key that cannot be had is the
// operator's to fix: one line, exit 2, as for a bad flag.
async function ticketKey(
  config: RelayConfig,
  log: (line: string) => void,
): Promise<Uint8Array | undefined> {
  if (config.open) {
    log(
      "WARNING: --open: registrations without a ticket are admitted; anyone " +
        "on the network can register a device name no ticketed device holds",
    );
  }
  if (!config.ticketKey) {
    log(
      "WARNING: no KMS ticket key: rooms are off, since no room membership " +
        "can be verified (room frames are refused with room_refused)",
    );
    return undefined;
  }
  const loaded = await loadTicketKey(config.ticketKey, { log });
  if (!loaded.ok) {
    console.error(`[RELAY] ${loaded.reason}`);
    Deno.exit(2);
  }
  const key = loaded.key.toBase64({ alphabet: "base64url", omitPadding: true });
  log(`tickets are verified with the KMS's Ed25519 key ${key}`);
  return loaded.key;
}

// The token of GET /devices, or undefined without --admin-token-file; a
// file that cannot be used is the operator's to fix: exit 2.
async function deviceReportToken(
  config: RelayConfig,
  log: (line: string) => void,
): Promise<string | undefined> {
  if (config.adminTokenFile === undefined) return undefined;
  const read = await readAdminToken(config.adminTokenFile);
  if (!read.ok) {
    console.error(`[RELAY] ${read.reason}`);
    Deno.exit(2);
  }
  log("GET /devices is served to the holder of the admin token");
  return read.token;
}

function printLimits(config: RelayConfig): void {
  console.log(
    "[RELAY] zero-knowledge relay: forwards frames unchanged and reads " +
      "only type, sender, recipient and id (of room frames: sender, room, " +
      "id, to and the KMS's signed membership)",
  );
  console.log(
    `[RELAY] limits: frames up to ${config.maxFrameBytes} bytes ` +
      `(over ${HARD_LIMIT_FACTOR * config.maxFrameBytes} dropped from the ` +
      `header), ${config.rateLimit} frames/s per connection, ` +
      `${config.queueMaxFrames} frames or ${config.queueMaxBytes} bytes ` +
      `for up to ${config.queueMaxAgeMs / 1000} s per offline device, ` +
      `${config.senderShare} of the queues per sender, ` +
      `idle timeout ${config.idleTimeoutSeconds} s, ` +
      `${config.maxConnectionsPerAddress} connections per address`,
  );
}

if (import.meta.main) await runService(RELAY_COMMAND, serveRelay);
