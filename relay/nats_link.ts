/**
 * A relay node's connection to NATS: connecting (retrying until a server
 * answers), reconnecting for ever after an outage, and the JetStream stream
 * and KV bucket every node shares, created or brought to this node's limits.
 *
 * The connection options differ from nats.js's defaults on purpose: its 10
 * reconnect attempts 2 s apart would leave a node cut off for good after a
 * 20 s outage, and its 2-minute ping would take minutes to notice a lost
 * server; learning other servers from the cluster's INFO is off, since the
 * node may reach only the servers its `--nats` and permissions name.
 *
 * @module
 */

import { errorMessage } from "../common/error_message.ts";
import { delay } from "../common/std.ts";
import {
  DiscardPolicy,
  jetstream,
  type JetStreamClient,
  type JetStreamManager,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from "@nats-io/jetstream";
import { type KV, Kvm } from "@nats-io/kv";
import { nanos, type NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import type { RelayLimits } from "./config.ts";
import { queueLimits } from "./offline_queue.ts";
import { GENERATION_MS, QueueLedger } from "./queue_ledger.ts";
import { SUBJECTS } from "./subject_token.ts";

/** How a node reaches NATS. */
export interface NatsLinkOptions {
  /** Server URLs, e.g. `nats://10.0.0.1:4222`; all of a NATS cluster's. */
  servers: readonly string[];
  /** This node's id, the connection's name on the server. */
  node: string;
  /** The queue limits the stream enforces. */
  limits: RelayLimits;
  /** Replicas of the stream and bucket: 3 on a NATS cluster of three. */
  replicas?: number;
  /** Receives a line on waiting, disconnects and reconnects. */
  log: (line: string) => void;
}

/** An open link, with the connection's state for `/metrics`. */
export interface NatsLink {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** The bucket of device claims. */
  devices: KV;
  /** The bucket of room memberships, the newest each node verified. */
  rooms: KV;
  /** The queue's bytes per recipient and per sender (queue_ledger.ts). */
  ledger: QueueLedger;
  /** Whether the connection is up now. */
  readonly connected: boolean;
  /** Reconnects since the start. */
  readonly reconnects: number;
}

// How long a request to NATS or JetStream may take before the relay counts
// the cluster as unavailable for that frame or registration.
export const NATS_TIMEOUT_MS = 2000;
const RETRY_MS = 500;
// How long past `--queue-max-age-ms` the stream itself drops a frame.
const BACKSTOP_MS = 60_000;

/**
 * Connects to NATS, waiting for a server and for JetStream to answer, and
 * sets up the stream `QSTCS_QUEUE` and the buckets `qstcs_devices`,
 * `qstcs_rooms` and `qstcs_queue_usage`.
 *
 * @example
 * ```ts ignore
 * const link = await openNatsLink({ servers: ["nats://127.0.0.1:4222"], node: "n1", limits, log });
 * ```
 */
export async function openNatsLink(
  options: NatsLinkOptions,
): Promise<NatsLink> {
  const nc = await connectRetrying(options);
  const state = { connected: true, reconnects: 0 };
  watchStatus(nc, state, options.log);
  const jsm = await retrying(options, "JetStream", async () => {
    const jsm = await jetstreamManager(nc, { timeout: NATS_TIMEOUT_MS });
    await setUpQueue(jsm, options);
    return jsm;
  });
  const bucket = (name: string, ttl?: number) =>
    retrying(options, `the bucket ${name}`, async () => {
      const kv = await new Kvm(nc).create(name, {
        history: 1,
        replicas: options.replicas ?? 1,
        ttl,
      });
      // An existing bucket keeps its age limit: brought to this node's.
      if (ttl) await jsm.streams.update(`KV_${name}`, { max_age: nanos(ttl) });
      return kv;
    });
  const devices = await bucket(SUBJECTS.devicesBucket);
  const rooms = await bucket(SUBJECTS.roomsBucket);
  const { limits } = options;
  // A frame leaves the stream by the backstop at the latest, and may land
  // there up to a publish's timeout after its reservation.
  const lifetimeMs = limits.queueMaxAgeMs + BACKSTOP_MS + NATS_TIMEOUT_MS;
  // A key untouched that long holds only generations the ledger drops.
  const usage = await bucket(SUBJECTS.usageBucket, lifetimeMs + GENERATION_MS);
  return {
    nc,
    js: jetstream(nc, { timeout: NATS_TIMEOUT_MS }),
    jsm,
    devices,
    rooms,
    ledger: new QueueLedger(usage, { limits: queueLimits(limits), lifetimeMs }),
    get connected() {
      return state.connected;
    },
    get reconnects() {
      return state.reconnects;
    },
  };
}

/**
 * The stream's limits from the relay's queue flags: per recipient subject
 * at most `queueMaxFrames` (a new frame refused, never an old one evicted),
 * `queueTotalBytes` in all, and an age backstop a minute past
 * `queueMaxAgeMs` for a cluster with no node left to expire frames.
 */
async function setUpQueue(
  jsm: JetStreamManager,
  options: NatsLinkOptions,
): Promise<void> {
  const { limits } = options;
  const maxAge = limits.queueMaxAgeMs + BACKSTOP_MS;
  const config = {
    name: SUBJECTS.queueStream,
    subjects: ["qstcs.q.>"],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_msgs_per_subject: limits.queueMaxFrames,
    discard: DiscardPolicy.New,
    discard_new_per_subject: true,
    max_bytes: limits.queueTotalBytes,
    max_age: nanos(maxAge),
    // A frame plus its sender and id headers.
    max_msg_size: limits.maxFrameBytes + 1024,
    duplicate_window: nanos(Math.min(120_000, maxAge)),
    num_replicas: options.replicas ?? 1,
  };
  try {
    await jsm.streams.info(config.name);
  } catch {
    await jsm.streams.add(config);
    return;
  }
  await jsm.streams.update(config.name, config);
}

async function connectRetrying(
  options: NatsLinkOptions,
): Promise<NatsConnection> {
  return await retrying(options, "NATS", () =>
    connect({
      servers: [...options.servers],
      name: options.node,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      pingInterval: 2000,
      maxPingOut: 2,
      ignoreClusterUpdates: true,
    }));
}

async function retrying<T>(
  options: NatsLinkOptions,
  what: string,
  attempt: () => Promise<T>,
): Promise<T> {
  let waiting = false;
  while (true) {
    try {
      return await attempt();
    } catch (error) {
      if (!waiting) {
        options.log(
          `waiting for ${what} at ${options.servers.join(", ")}: ${
            errorMessage(error)
          }`,
        );
        waiting = true;
      }
      await delay(RETRY_MS);
    }
  }
}

async function watchStatus(
  nc: NatsConnection,
  state: { connected: boolean; reconnects: number },
  log: (line: string) => void,
): Promise<void> {
  for await (const status of nc.status()) {
    if (status.type === "disconnect") {
      state.connected = false;
      log("NATS connection lost: reconnecting");
    } else if (status.type === "reconnect") {
      state.connected = true;
      state.reconnects++;
      log("NATS connection back");
    }
  }
}
