/**
 * What the hub asks of the other relay nodes when it runs as a node of a
 * cluster (`--nats`): claims of device ids across the cluster, frames for
 * devices held by other nodes or offline, and the acks of queued frames for
 * senders on other nodes. A hub without a cluster keeps everything in its
 * process, as the single relay always did; nats_cluster.ts implements this
 * interface on NATS and JetStream.
 *
 * @module
 */

import type { Metric } from "../common/prometheus.ts";
import type { Connection } from "./connection.ts";
import type { HubState, Refusal } from "./hub_state.ts";
import type { Handover } from "./routing.ts";

/** A registration asking for a device id in the whole cluster. */
export interface ClaimRequest {
  /** The device id. */
  deviceId: string;
  /** The resume token it presented, if any. */
  resume?: string;
  /** Whether it proved the device id with a ticket and its proof. */
  ticketed: boolean;
  /** The resume token it will be given once registered. */
  token: string;
}

/** A claim won, or why not. */
export type ClaimResult = { ok: true } | { ok: false; refusal: Refusal };

/** One copy of a frame to hand over to a device that is not local now. */
export interface ClusterFrame {
  /** The frame exactly as received. */
  text: string;
  /** Its sender, told what became of it when it leaves the queue. */
  sender: string;
  /** Its id; a copy without one gets no ack when it leaves the queue. */
  id?: string;
}

/** The hub's side of a cluster, bound to one hub's state. */
export interface Cluster {
  /** Claims `request.deviceId` for `conn` in the whole cluster. */
  claim(conn: Connection, request: ClaimRequest): Promise<ClaimResult>;
  /** `conn` registered here: frames for its device now come to this node. */
  attached(conn: Connection): void;
  /** `conn` is gone: its claim is released if it is still its own. */
  detached(conn: Connection): void;
  /**
   * Whether frames wait in the cluster's queue for the local `deviceId`:
   * new ones then go behind them.
   */
  backlogged(deviceId: string): boolean;
  /**
   * Hands a copy to a device held by another node, or queues it for a
   * device that is offline or not reading. With `live`, a copy the
   * recipient cannot take now is dropped (`backpressure`), never queued.
   */
  handOver(
    recipient: string,
    frame: ClusterFrame,
    options?: { live?: boolean },
  ): Promise<Handover>;
  /** Sends the relay's own frame (an ack) to a device not held here. */
  tell(deviceId: string, text: string): void;
  /**
   * Shares a membership this node verified and stored (a new room, a higher
   * epoch, or the end of a room) with the other nodes.
   */
  shareMembership(room: string, text: string): void;
  /** The devices held by other nodes. */
  remoteDevices(): Iterable<string>;
  /** The cluster's figures for `/metrics`. */
  metrics(): Metric[];
  /**
   * Leaves the cluster: releases this node's claims and disconnects, or
   * gives up after a few seconds when NATS does not answer.
   */
  close(): Promise<void>;
}

/** Binds a cluster to the state of the hub that uses it. */
export type ClusterBinding = (state: HubState) => Cluster;
