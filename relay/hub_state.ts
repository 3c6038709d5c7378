/**
 * What every part of the hub shares: its limits, counters, log, clock,
 * connections, online devices, queues and rooms, and the relay's own answers
 * to a connection (control frames, refusals, strikes and closes).
 *
 * @module
 */

import type { ErrorCode } from "../protocol/mod.ts";
import type { Cluster, ClusterBinding } from "./cluster.ts";
import type { RelayLimits } from "./config.ts";
import { CloseCode, type Connection, type Peer } from "./connection.ts";
import { errorFrame } from "./frames.ts";
import { increment, RelayCounters } from "./metrics.ts";
import { OfflineQueues, queueLimits } from "./offline_queue.ts";
import { OnlineDevices } from "./presence.ts";
import { RoomTraffic } from "./room_traffic.ts";
import { RoomRegistry } from "./rooms.ts";

/** Options for {@linkcode HubState}, and for the `Hub` built on it. */
export interface HubOptions {
  /** Limits, e.g. from `parseRelayConfig`. */
  limits: RelayLimits;
  /**
   * Receives a line for each connection, registration, takeover and close,
   * never with message contents.
   */
  log?: (line: string) => void;
  /**
   * Receives a line for each routing decision or refused frame, never with
   * message contents; these come at the rate of traffic. Default `log`.
   */
  logFrame?: (line: string) => void;
  /** Clock in milliseconds. Default `performance.now`. */
  now?: () => number;
  /**
   * The KMS's Ed25519 ticket public key: register frames then need a valid
   * ticket for their device id. Without it every registration is admitted,
   * which the relay process allows only with `--open`.
   */
  kmsKey?: Uint8Array;
  /** With `kmsKey`: also admit register frames that carry no ticket. */
  open?: boolean;
  /** Unix time in seconds, for ticket expiry. Default `Date.now() / 1000`. */
  unixNow?: () => number;
  /**
   * Makes the hub a node of a relay cluster (nats_cluster.ts); without it
   * the hub keeps every device and queue in its own process.
   */
  cluster?: ClusterBinding;
}

/** How the hub admits registrations; see {@linkcode HubOptions.kmsKey}. */
export interface Admission {
  kmsKey?: Uint8Array;
  open: boolean;
  unixNow: () => number;
}

/** Why a frame is refused, as the error frame tells it. */
export interface Refusal {
  code: ErrorCode;
  /** What the client should do differently. */
  message: string;
}

/**
 * The hub's state and the primitives all its parts use.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { DEFAULT_LIMITS } from "./config.ts";
 * import { Connection } from "./connection.ts";
 * import { HubState } from "./hub_state.ts";
 *
 * const state = new HubState({ limits: DEFAULT_LIMITS });
 * const sent: string[] = [];
 * const peer = {
 *   readyState: 1,
 *   bufferedAmount: 0,
 *   send: (text: string) => sent.push(text),
 *   close() {},
 * };
 * const conn = new Connection(peer, {
 *   number: 1,
 *   label: "a",
 *   rateLimit: 10,
 *   now: 0,
 *   nonce: "n",
 * });
 * state.refuse(conn, { code: "bad_json", message: "frame is not valid JSON" });
 * assertEquals(sent, [
 *   '{"type":"error","code":"bad_json","message":"frame is not valid JSON"}',
 * ]);
 * assertEquals(state.counters.refused.get("bad_json"), 1);
 * ```
 */
export class HubState {
  /** What the hub has done, for `/metrics`. */
  readonly counters: RelayCounters = new RelayCounters();
  readonly limits: RelayLimits;
  /** Lines about connections; see {@linkcode HubOptions.log}. */
  readonly log: (line: string) => void;
  /** Lines about single frames; see {@linkcode HubOptions.logFrame}. */
  readonly logFrame: (line: string) => void;
  /** Clock in milliseconds. */
  readonly now: () => number;
  /** Open connections, registered or not, by socket. */
  readonly connections: Map<Peer, Connection> = new Map();
  /** The rooms, their newest memberships and who is in which. */
  readonly rooms: RoomRegistry = new RoomRegistry();
  /** Online devices; a member coming or going marks its rooms for presence. */
  readonly devices: OnlineDevices = new OnlineDevices({
    onChange: (deviceId) => this.rooms.memberChanged(deviceId),
  });
  /** Counts of room traffic for the `[MSG_RELAYED]` summary line. */
  readonly roomTraffic: RoomTraffic;
  /** Frames waiting for devices that are offline or not reading. */
  readonly queues: OfflineQueues;
  /** Devices with frames waiting or a full send buffer, for `tick` to drain. */
  readonly congested: Set<Connection> = new Set();
  readonly admission: Admission;
  /** The other relay nodes, when the hub is one of a cluster. */
  readonly cluster?: Cluster;

  /** Creates the state of an empty hub. */
  constructor(options: HubOptions) {
    this.limits = options.limits;
    this.log = options.log ?? (() => {});
    this.logFrame = options.logFrame ?? this.log;
    this.now = options.now ?? (() => performance.now());
    this.roomTraffic = new RoomTraffic(this.log);
    this.admission = {
      kmsKey: options.kmsKey,
      open: options.open ?? false,
      unixNow: options.unixNow ?? (() => Date.now() / 1000),
    };
    this.queues = new OfflineQueues(queueLimits(options.limits));
    this.cluster = options.cluster?.(this);
  }

  /** Whether `conn` is open with room in its send buffer. */
  canSend(conn: Connection): boolean {
    return conn.canSend(this.limits.maxBufferedBytes);
  }

  /**
   * Sends an ack, error, pong or registered frame. These are small and not
   * queued; a client that lets them pile up far past the bound is not
   * reading and is closed.
   */
  sendControl(conn: Connection, text: string): void {
    if (!conn.open) return;
    const { maxBufferedBytes, maxFrameBytes } = this.limits;
    if (conn.peer.bufferedAmount > 2 * maxBufferedBytes + maxFrameBytes) {
      this.close(conn, CloseCode.stalled, "not reading");
      return;
    }
    conn.peer.send(text);
  }

  /**
   * Answers a refused frame with an error frame and counts a strike;
   * `closeCode` (default 1008) closes the connection with too many strikes.
   */
  refuse(
    conn: Connection,
    refusal: Refusal,
    options: { closeCode?: number } = {},
  ): void {
    increment(this.counters.refused, refusal.code);
    this.sendControl(conn, errorFrame(refusal.code, refusal.message));
    this.logFrame(`refused ${conn.name}: ${refusal.code}`);
    this.strike(conn, options.closeCode ?? CloseCode.policyViolation);
  }

  /**
   * Refuses a frame whose `sender` is not `conn`'s device, and says whether
   * it did.
   */
  spoofed(conn: Connection, sender: string): boolean {
    if (sender === conn.deviceId) return false;
    this.refuse(conn, {
      code: "spoofed_sender",
      message: `this connection speaks for ${conn.deviceId} only`,
    });
    return true;
  }

  /** Counts a refused frame; past the allowance, closes with `closeCode`. */
  strike(conn: Connection, closeCode: number): void {
    if (!conn.strikes.take(this.now())) {
      this.close(conn, closeCode, "too many refused frames");
    }
  }

  /** Closes `conn` once, as `WebSocket.close` does, and forgets it. */
  close(conn: Connection, code: number, reason: string): void {
    if (conn.closed) return;
    increment(this.counters.closed, code);
    this.forget(conn);
    this.log(`closing ${conn.name}: ${code} ${reason}`);
    conn.peer.close(code, reason);
  }

  /** Stops tracking `conn`, whose socket closed or is closing. */
  forget(conn: Connection): void {
    conn.closed = true;
    this.connections.delete(conn.peer);
    this.congested.delete(conn);
    this.devices.remove(conn);
    this.cluster?.detached(conn);
  }
}
