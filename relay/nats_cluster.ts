/**
 * The relay as a node of a cluster on NATS (`--nats`). Each node keeps its
 * own WebSockets; a frame for a device held by another node goes to the
 * device's subject `qstcs.dev.<device>`, which only the holding node
 * subscribes to (queue group `holder`, so a takeover's brief overlap still
 * hands each frame to one node), with a reply subject of the sending node's
 * own. The holder answers in one byte what it did: `d` handed to the
 * socket, `b` queued because the device is not reading, `q` queued because
 * the device just left, or `!` and a drop reason. When no node holds the
 * device, NATS itself answers at once with "no responders" (503): the
 * device is offline, and the frame goes into JetStream (jetstream_queue.ts).
 * No answer within {@linkcode NATS_TIMEOUT_MS} is `dropped`/`unavailable`:
 * nats.js drops a publish made while disconnected without a word, so only a
 * reply proves a frame went anywhere.
 *
 * Headers stay off the live path: the sending node knows each frame's
 * sender and id and builds the ack itself.
 *
 * @module
 */

import type { Msg } from "@nats-io/nats-core";
import type { Metric } from "../common/prometheus.ts";
import { delay } from "../common/std.ts";
import type {
  ClaimRequest,
  ClaimResult,
  Cluster,
  ClusterFrame,
} from "./cluster.ts";
import { ClusterDirectory, resumeHash } from "./cluster_directory.ts";
import { type ClusterFigures, clusterMetrics } from "./cluster_metrics.ts";
import { CloseCode, type Connection } from "./connection.ts";
import type { HubState } from "./hub_state.ts";
import {
  enqueue,
  newestQueued,
  queuedCopy,
  QueueDrain,
  sweepQueue,
} from "./jetstream_queue.ts";
import { increment } from "./metrics.ts";
import { NATS_TIMEOUT_MS, type NatsLink } from "./nats_link.ts";
import { NO_ANSWER, NO_HOLDER, ReplyMux } from "./reply_mux.ts";
import { inUse } from "./registration.ts";
import type { Handover } from "./routing.ts";
import { shareRooms } from "./cluster_rooms.ts";
import { controlSubject, deviceSubject } from "./subject_token.ts";

// A frame from the relay itself (an ack): never acked, queued without sender.
const RELAY_KIND = "relay";
// A broadcast copy: handed over now or dropped, never queued.
const LIVE_KIND = "live";
const KIND = "Qstcs-Kind";

interface Held {
  conn: Connection;
  revision: number;
  subscriptions: { unsubscribe(): void }[];
  drain: QueueDrain;
}

// A registration whose claim won, until the hub registers it.
interface Claimed {
  device: string;
  revision: number;
  subscriptions: { unsubscribe(): void }[];
  queuedSeq: number;
}

const UNAVAILABLE = {
  code: "unavailable" as const,
  message: "the relay cluster's NATS does not answer: try again shortly",
};

/** Figures for `/metrics`. */
type ClusterCounters = Pick<
  ClusterFigures,
  "framesOut" | "framesIn" | "offline" | "unavailable"
>;

/**
 * Binds a {@linkcode NatsCluster} for `node` on `link` to a hub: pass it as
 * the hub's `cluster` option.
 *
 * @example
 * ```ts ignore
 * const hub = new Hub({ limits, cluster: natsCluster(link, "node1") });
 * ```
 */
export function natsCluster(
  link: NatsLink,
  node: string,
): (state: HubState) => Cluster {
  return (state) => new NatsCluster(state, { link, node });
}

/** One hub's side of the cluster on NATS. */
export class NatsCluster implements Cluster {
  readonly shareMembership: (room: string, text: string) => void;
  readonly node: string;
  #hub: HubState;
  #link: NatsLink;
  #directory: ClusterDirectory;
  #held = new Map<string, Held>();
  #claimed = new WeakMap<Connection, Claimed>();
  #releases = new Set<Promise<void>>();
  #replies: ReplyMux;
  #sweeper: ReturnType<typeof setInterval>;
  #sweeping = false;
  #queueFrames = 0;
  #queueBytes = 0;
  #counters: ClusterCounters = {
    framesOut: 0,
    framesIn: 0,
    offline: 0,
    unavailable: 0,
  };

  /** Joins the cluster for `hub`. */
  constructor(hub: HubState, options: { link: NatsLink; node: string }) {
    this.#hub = hub;
    this.#link = options.link;
    this.node = options.node;
    this.#replies = new ReplyMux(options.link.nc, options.node);
    this.#directory = new ClusterDirectory(options.link, {
      node: options.node,
      events: {
        held: (device, revision) => this.#movedAway(device, revision),
        released: (device) => hub.devices.setRemote(device, false),
      },
    });
    this.shareMembership = shareRooms(hub, options.link);
    this.#sweeper = setInterval(() => this.#sweep(), 250);
    Deno.unrefTimer(this.#sweeper);
  }

  async claim(conn: Connection, request: ClaimRequest): Promise<ClaimResult> {
    const { deviceId, resume, ticketed } = request;
    if (!this.#link.connected) return { ok: false, refusal: UNAVAILABLE };
    let revision: number | "held";
    try {
      revision = await this.#directory.claim({
        device: deviceId,
        node: this.node,
        resume_sha256: resumeHash(request.token),
      }, async (current) => {
        if (ticketed) return true;
        if (
          resume !== undefined && resumeHash(resume) === current.resume_sha256
        ) {
          return true;
        }
        return current.node === this.node
          ? this.#hub.devices.get(deviceId)?.open !== true
          : !await this.#directory.answers(deviceId);
      });
    } catch {
      return { ok: false, refusal: UNAVAILABLE };
    }
    if (revision === "held") return { ok: false, refusal: inUse(deviceId) };
    // Every claim written before this one is known here before the device
    // hears it is registered: its online list holds those on other nodes.
    await this.#directory.caughtUp(revision, NATS_TIMEOUT_MS);
    // Subscribed, and the server told, before the device hears it is
    // registered: a frame sent to it right after reaches it live. One that
    // arrives before `attached` goes into the stream and out again.
    const claimed = {
      device: deviceId,
      revision,
      subscriptions: this.#subscribe(deviceId),
      queuedSeq: 0,
    };
    this.#claimed.set(conn, claimed);
    await this.#link.nc.flush().catch(() => {});
    claimed.queuedSeq = await newestQueued(this.#link, deviceId);
    if (conn.closed) this.detached(conn);
    return { ok: true };
  }

  attached(conn: Connection): void {
    const device = conn.deviceId!;
    const claimed = this.#claimed.get(conn);
    this.#claimed.delete(conn);
    this.#held.set(device, {
      conn,
      revision: claimed?.revision ?? 0,
      subscriptions: claimed?.subscriptions ?? this.#subscribe(device),
      drain: new QueueDrain(this.#hub, this.#link, {
        conn,
        queuedSeq: claimed?.queuedSeq ?? 0,
      }),
    });
  }

  detached(conn: Connection): void {
    // Claimed but never registered: closed meanwhile, or refused here.
    const claimed = this.#claimed.get(conn);
    if (claimed) {
      this.#claimed.delete(conn);
      for (const subscription of claimed.subscriptions) {
        subscription.unsubscribe();
      }
      this.#release(claimed.device, claimed.revision);
      return;
    }
    const device = conn.deviceId;
    if (device === undefined) return;
    const held = this.#held.get(device);
    if (held?.conn !== conn) return;
    this.#held.delete(device);
    for (const subscription of held.subscriptions) subscription.unsubscribe();
    held.drain.stop();
    this.#release(device, held.revision);
  }

  backlogged(deviceId: string): boolean {
    return this.#held.get(deviceId)?.drain.backlog === true;
  }

  async handOver(
    recipient: string,
    frame: ClusterFrame,
    options: { live?: boolean } = {},
  ): Promise<Handover> {
    if (this.#held.has(recipient)) {
      return options.live
        ? "backpressure"
        : await this.#queue(recipient, frame);
    }
    const reply = await this.#forward(
      recipient,
      frame.text,
      options.live ? LIVE_KIND : undefined,
    );
    if (reply === "d") return "delivered";
    if (reply === "b") return "backpressure";
    if (reply === "q") return "offline";
    if (reply.startsWith("!")) return reply.slice(1) as Handover;
    if (reply === NO_ANSWER) return this.#unavailable();
    this.#counters.offline++;
    return options.live ? "offline" : await this.#queue(recipient, frame);
  }

  tell(deviceId: string, text: string): void {
    this.#forward(deviceId, text, RELAY_KIND).then((reply) => {
      if (reply === NO_HOLDER) this.#queue(deviceId, { text });
    });
  }

  remoteDevices(): Iterable<string> {
    return this.#directory.remote();
  }

  metrics(): Metric[] {
    const { nc, connected, reconnects } = this.#link;
    const stats = nc.stats();
    return clusterMetrics({
      node: this.node,
      natsConnected: connected,
      natsReconnects: reconnects,
      natsInBytes: stats.inBytes,
      natsOutBytes: stats.outBytes,
      ...this.#counters,
      remoteDevices: this.#hub.devices.remoteSize,
      queueFrames: this.#queueFrames,
      queueBytes: this.#queueBytes,
    });
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    this.#directory.close();
    const left = Promise.all(this.#releases).then(() => this.#link.nc.drain());
    await Promise.race([left.catch(() => {}), delay(NATS_TIMEOUT_MS)]);
  }

  #subscribe(device: string): { unsubscribe(): void }[] {
    const { nc } = this.#link;
    return [
      nc.subscribe(deviceSubject(device), {
        queue: "holder",
        callback: (_error, message) => this.#arrived(device, message),
      }),
      nc.subscribe(controlSubject(device), {
        callback: (_error, message) => {
          message.respond("");
        },
      }),
    ];
  }

  #release(device: string, revision: number): void {
    const release = this.#directory.release(device, revision);
    this.#releases.add(release);
    release.finally(() => this.#releases.delete(release));
  }

  // Another node claimed `device`: a local socket that holds an older claim
  // was taken over.
  #movedAway(device: string, revision: number): void {
    this.#hub.devices.setRemote(device, true);
    const held = this.#held.get(device);
    if (held && revision > held.revision) {
      this.#hub.close(
        held.conn,
        CloseCode.replaced,
        "replaced by a connection on another relay node",
      );
    }
  }

  // Relay frames (acks) have no sender and count for nothing, as on one relay.
  async #queue(
    recipient: string,
    frame: Partial<ClusterFrame> & { text: string },
  ): Promise<Handover> {
    const drain = this.#held.get(recipient)?.drain;
    if (drain) {
      drain.backlog = true;
      drain.inflight++;
    }
    const queued = await enqueue(this.#link, recipient, frame);
    if (drain) {
      drain.inflight--;
      if (queued.ok) drain.queued(queued.seq);
      else drain.refused();
    }
    if (!queued.ok) {
      if (frame.sender === undefined) return queued.reason;
      if (queued.reason === "unavailable") return this.#unavailable();
      increment(this.#hub.counters.dropped, queued.reason);
      return queued.reason;
    }
    if (frame.sender !== undefined) this.#hub.counters.framesQueued++;
    return drain ? "backpressure" : "offline";
  }

  #unavailable(): Handover {
    this.#counters.unavailable++;
    increment(this.#hub.counters.dropped, "unavailable");
    return "unavailable";
  }

  #forward(device: string, text: string, kind?: string): Promise<string> {
    if (!this.#link.connected) return Promise.resolve(NO_ANSWER);
    this.#counters.framesOut++;
    return this.#replies.publish(
      deviceSubject(device),
      text,
      kind === undefined ? undefined : { name: KIND, value: kind },
    );
  }

  #sweep(): void {
    this.#replies.sweep();
    if (this.#sweeping || !this.#link.connected) return;
    this.#sweeping = true;
    this.#sweepQueue().catch(() => {}).finally(() => this.#sweeping = false);
  }

  async #sweepQueue(): Promise<void> {
    const state = await sweepQueue(this.#hub, this.#link);
    this.#queueFrames = state.messages;
    this.#queueBytes = state.bytes;
  }

  // A frame for local `device` from another node.
  #arrived(device: string, message: Msg): void {
    this.#counters.framesIn++;
    const hub = this.#hub;
    const kind = message.headers?.get(KIND) || undefined;
    const text = message.string();
    const held = this.#held.get(device);
    if (held && !held.drain.backlog && hub.canSend(held.conn)) {
      held.conn.peer.send(text);
      if (kind !== RELAY_KIND) hub.counters.framesRelayed++;
      message.respond("d");
      return;
    }
    if (kind === LIVE_KIND) {
      message.respond("!backpressure");
      return;
    }
    const frame = kind === RELAY_KIND ? { text } : queuedCopy(text);
    if (!frame) {
      message.respond("!no_recipients");
      return;
    }
    this.#queue(device, frame).then((outcome) =>
      message.respond(
        outcome === "backpressure"
          ? "b"
          : outcome === "offline"
          ? "q"
          : `!${outcome}`,
      )
    );
  }
}
