/**
 * The relay's core: the registry of devices, routing, acks, queues,
 * presence and limits, over an abstract socket so that it runs without a
 * network in unit tests.
 *
 * The hub learns a frame's type, sender, recipient and id from
 * `readEnvelope`, which parses the JSON and returns those four fields only.
 * The frame itself stays the opaque string it arrived as: forwarded
 * unchanged, or held in a queue for an offline recipient. No other field is
 * ever read, kept or logged.
 *
 * @module
 */

import {
  type AckFrame,
  BROADCAST,
  type DropReason,
  type Envelope,
  type ErrorCode,
  type QueueReason,
  readEnvelope,
} from "../protocol/mod.ts";
import type { RelayLimits } from "./config.ts";
import { exceedsBytes, utf8ByteLength } from "./frame_size.ts";
import {
  ackFrame,
  errorFrame,
  pongFrame,
  presenceFrame,
  registeredFrame,
} from "./frames.ts";
import { increment, RelayCounters, type RelayGauges } from "./metrics.ts";
import { OfflineQueues } from "./offline_queue.ts";
import { TokenBucket } from "./rate_limit.ts";
import { newResumeToken, readResumeToken } from "./resume_token.ts";

/** What the hub needs of a socket; a server-side `WebSocket` is one. */
export interface Peer {
  /** `1` while open, as `WebSocket.OPEN`. */
  readonly readyState: number;
  /** Bytes sent but not yet handed to the network. */
  readonly bufferedAmount: number;
  /** Sends a text frame. */
  send(text: string): void;
  /** Closes the connection. */
  close(code?: number, reason?: string): void;
}

/** WebSocket close codes the relay sends. */
export const CloseCode = {
  /** Shutdown. */
  goingAway: 1001,
  /** Repeated binary frames. */
  unsupportedData: 1003,
  /** Repeated refused frames or rate-limit excess. */
  policyViolation: 1008,
  /** Repeated oversize frames. */
  messageTooBig: 1009,
  /** An unexpected error while handling a frame. */
  internalError: 1011,
  /** Another connection took over the device with its resume token. */
  replaced: 4001,
  /** The client stopped reading: its send buffer stayed full. */
  stalled: 4002,
} as const;

/** Options for {@linkcode Hub}. */
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
}

const OPEN = 1;
// Refused frames a connection may send at once, and then per second, before
// the relay closes it: enough for a buggy client to see its errors.
const STRIKES = 20;
const STRIKES_PER_SECOND = 1;

class Connection {
  readonly number: number;
  readonly label: string;
  readonly peer: Peer;
  readonly rate: TokenBucket;
  readonly strikes: TokenBucket;
  deviceId?: string;
  resume?: string;
  // The last online list this device was sent, as its presence frame.
  presence?: string;
  stalledSince?: number;
  closed = false;

  constructor(
    peer: Peer,
    options: { number: number; label: string; rateLimit: number; now: number },
  ) {
    this.peer = peer;
    this.number = options.number;
    this.label = options.label;
    this.rate = new TokenBucket({
      capacity: options.rateLimit,
      refillPerSecond: options.rateLimit,
      now: options.now,
    });
    this.strikes = new TokenBucket({
      capacity: STRIKES,
      refillPerSecond: STRIKES_PER_SECOND,
      now: options.now,
    });
  }

  get name(): string {
    return this.deviceId === undefined
      ? `#${this.number} (${this.label})`
      : `${this.deviceId} (#${this.number})`;
  }
}

/**
 * Routes frames between registered devices.
 *
 * The server calls {@linkcode Hub.connect} when a socket opens,
 * {@linkcode Hub.receive} for each message, {@linkcode Hub.disconnect} when
 * it closes, and {@linkcode Hub.tick} a few dozen times a second to drain
 * queues, expire old frames, send presence and close stalled sockets.
 *
 * @example
 * ```ts
 * import { Hub } from "./hub.ts";
 * import { DEFAULT_LIMITS } from "./config.ts";
 * const hub = new Hub({ limits: DEFAULT_LIMITS });
 * const peer = {
 *   readyState: 1,
 *   bufferedAmount: 0,
 *   send: (text: string) => console.log(text),
 *   close: () => {},
 * };
 * hub.connect(peer, "127.0.0.1:50000");
 * hub.receive(peer, '{"type":"register","device_id":"Soldier_Alpha"}');
 * // {"type":"registered","device_id":"Soldier_Alpha","online":["Soldier_Alpha"],"resume":"…"}
 * ```
 */
export class Hub {
  /** What the hub has done, for `/metrics`. */
  readonly counters: RelayCounters = new RelayCounters();
  #limits: RelayLimits;
  #log: (line: string) => void;
  #logFrame: (line: string) => void;
  #now: () => number;
  #connections = new Map<Peer, Connection>();
  #devices = new Map<string, Connection>();
  #queues: OfflineQueues;
  // Devices with frames waiting or a full send buffer, for tick() to drain.
  #congested = new Set<Connection>();
  #online?: string[];
  #presencePending = false;
  #nextExpiry = 0;
  #nextNumber = 1;

  /** Creates an empty hub. */
  constructor(options: HubOptions) {
    this.#limits = options.limits;
    this.#log = options.log ?? (() => {});
    this.#logFrame = options.logFrame ?? this.#log;
    this.#now = options.now ?? (() => performance.now());
    this.#queues = new OfflineQueues({
      maxFrames: options.limits.queueMaxFrames,
      maxBytes: options.limits.queueMaxBytes,
      totalBytes: options.limits.queueTotalBytes,
      maxAgeMs: options.limits.queueMaxAgeMs,
    });
  }

  /** Open connections, registered or not. */
  get connections(): number {
    return this.#connections.size;
  }

  /** Starts tracking an open socket; `label` names it in the log. */
  connect(peer: Peer, label: string): void {
    const conn = new Connection(peer, {
      number: this.#nextNumber++,
      label,
      rateLimit: this.#limits.rateLimit,
      now: this.#now(),
    });
    this.#connections.set(peer, conn);
    this.counters.connections++;
    this.#log(`connect #${conn.number} from ${label}`);
  }

  /** Handles one message: a text frame, or anything else to refuse. */
  receive(peer: Peer, data: unknown): void {
    const conn = this.#connections.get(peer);
    if (!conn) return;
    this.counters.framesReceived++;
    if (typeof data !== "string") {
      this.#refuse(conn, "binary_frame", "send JSON text frames, not binary", {
        closeCode: CloseCode.unsupportedData,
      });
      return;
    }
    const { maxFrameBytes } = this.#limits;
    if (exceedsBytes(data, maxFrameBytes)) {
      this.#refuse(
        conn,
        "frame_too_large",
        `frames are limited to ${maxFrameBytes} bytes`,
        { closeCode: CloseCode.messageTooBig },
      );
      return;
    }
    const read = readEnvelope(data);
    if (!read.ok) {
      this.#refuse(conn, read.error.code, read.error.message);
    } else if (!conn.rate.take(this.#now())) {
      this.#rateLimited(conn, read.envelope);
    } else if (read.envelope.type === "register") {
      this.#register(conn, read.envelope.sender, data);
    } else if (conn.deviceId === undefined) {
      this.#refuse(conn, "not_registered", "send a register frame first");
    } else if (read.envelope.type === "ping") {
      this.#sendControl(conn, pongFrame(read.envelope.id));
    } else if (read.envelope.sender !== conn.deviceId) {
      this.#refuse(
        conn,
        "spoofed_sender",
        `this connection speaks for ${conn.deviceId} only`,
      );
    } else if (read.envelope.recipient === BROADCAST) {
      this.#broadcast(conn, read.envelope.id, data);
    } else {
      this.#route(conn, read.envelope, data);
    }
  }

  /** Forgets a socket that closed; `code` is its close code, for the log. */
  disconnect(peer: Peer, code: number): void {
    const conn = this.#connections.get(peer);
    if (!conn) return;
    this.#forget(conn);
    this.#log(`disconnect ${conn.name}: close code ${code}`);
  }

  /**
   * Drains queues into sockets that have room, closes sockets stalled for
   * the idle timeout, expires old frames and sends pending presence.
   */
  tick(): void {
    const now = this.#now();
    for (const conn of this.#congested) this.#drain(conn, now);
    if (now >= this.#nextExpiry) {
      this.#nextExpiry = now + Math.min(1000, this.#limits.queueMaxAgeMs / 10);
      this.#expire(now);
    }
    if (this.#presencePending) this.#sendPresence();
  }

  /** Closes every connection, e.g. on shutdown. */
  closeAll(code: number, reason: string): void {
    for (const conn of this.#connections.values()) {
      this.#close(conn, code, reason);
    }
  }

  /** Current values for `/metrics`. */
  gauges(): RelayGauges {
    let bufferedBytes = 0;
    for (const peer of this.#connections.keys()) {
      bufferedBytes += peer.bufferedAmount;
    }
    return {
      connections: this.#connections.size,
      devices: this.#devices.size,
      queueFrames: this.#queues.totalFrames,
      queueBytes: this.#queues.totalBytes,
      bufferedBytes,
    };
  }

  #register(conn: Connection, deviceId: string, text: string): void {
    if (conn.deviceId !== undefined) {
      this.#refuse(
        conn,
        "duplicate_device",
        `this connection is already registered as ${conn.deviceId}`,
      );
      return;
    }
    const resume = readResumeToken(text);
    if (!resume.ok) {
      this.#refuse(conn, "bad_field", resume.message);
      return;
    }
    const existing = this.#devices.get(deviceId);
    if (existing) {
      if (
        existing.peer.readyState === OPEN && resume.token !== existing.resume
      ) {
        this.#refuse(
          conn,
          "duplicate_device",
          `${deviceId} is already online; to replace a lost connection, ` +
            "send the resume token from its registered frame",
        );
        return;
      }
      this.#log(
        `${deviceId} moves from #${existing.number} to #${conn.number}`,
      );
      this.#close(existing, CloseCode.replaced, "replaced by a new connection");
    }
    conn.deviceId = deviceId;
    conn.resume = newResumeToken();
    this.#devices.set(deviceId, conn);
    this.#online = undefined;
    this.#presencePending = true;
    this.counters.registrations++;
    const online = this.#onlineList();
    conn.presence = presenceFrame(online);
    this.#sendControl(
      conn,
      registeredFrame(deviceId, { online, resume: conn.resume }),
    );
    const waiting = this.#queues.size(deviceId);
    this.#log(
      `register ${conn.name}: ${online.length} online` +
        (waiting > 0 ? `, ${waiting} queued for it` : ""),
    );
    if (waiting > 0) this.#drain(conn, this.#now());
  }

  #route(
    conn: Connection,
    envelope: Extract<Envelope, { type: "chat" }>,
    text: string,
  ): void {
    const { sender, recipient, id } = envelope;
    const target = this.#devices.get(recipient);
    if (target && this.#queues.size(recipient) === 0 && this.#canSend(target)) {
      target.peer.send(text);
      this.counters.framesRelayed++;
      this.#ack(conn, id, { status: "delivered" });
      this.#logFrame(`route ${sender} -> ${recipient}: delivered`);
      return;
    }
    const online = target?.peer.readyState === OPEN;
    if (!online) {
      this.#logFrame(
        `WARNING: ${recipient} is offline; holding the frame from ${sender}`,
      );
    }
    const reason: QueueReason = online ? "backpressure" : "offline";
    const refusal = this.#queues.push(recipient, {
      text,
      bytes: utf8ByteLength(text),
      sender,
      id,
      queuedAt: this.#now(),
    });
    if (refusal) {
      increment(this.counters.dropped, refusal);
      this.#ack(conn, id, { status: "dropped", reason: refusal });
      this.#logFrame(`route ${sender} -> ${recipient}: dropped (${refusal})`);
      return;
    }
    this.counters.framesQueued++;
    if (target) this.#congested.add(target);
    this.#ack(conn, id, { status: "queued", reason });
    this.#logFrame(
      `route ${sender} -> ${recipient}: queued (${reason}, ` +
        `${this.#queues.size(recipient)} waiting)`,
    );
  }

  // A broadcast goes to the devices online now; a copy for a device that is
  // not reading is dropped rather than queued, so the one ack, with counts,
  // is the whole story.
  #broadcast(conn: Connection, id: string | undefined, text: string): void {
    let delivered = 0;
    let dropped = 0;
    for (const target of this.#devices.values()) {
      if (target === conn) continue;
      if (this.#queues.size(target.deviceId!) === 0 && this.#canSend(target)) {
        target.peer.send(text);
        delivered++;
      } else {
        dropped++;
      }
    }
    this.counters.framesRelayed += delivered;
    const reason: DropReason | undefined = dropped > 0
      ? "backpressure"
      : delivered === 0
      ? "no_recipients"
      : undefined;
    if (reason) increment(this.counters.dropped, reason);
    this.#ack(conn, id, {
      status: delivered > 0 ? "delivered" : "dropped",
      reason,
      delivered,
      dropped,
    });
    this.#logFrame(
      `route ${conn.deviceId} -> all: delivered to ${delivered}` +
        (dropped > 0 ? `, dropped for ${dropped} not reading` : ""),
    );
  }

  #drain(conn: Connection, now: number): void {
    const deviceId = conn.deviceId!;
    while (this.#queues.size(deviceId) > 0 && this.#canSend(conn)) {
      const frame = this.#queues.shift(deviceId)!;
      conn.peer.send(frame.text);
      if (frame.sender === undefined) continue;
      this.counters.framesRelayed++;
      this.#tell(frame.sender, frame.id, { status: "delivered" });
      this.#logFrame(
        `route ${frame.sender} -> ${deviceId}: delivered from queue`,
      );
    }
    if (conn.peer.bufferedAmount < this.#limits.maxBufferedBytes) {
      conn.stalledSince = undefined;
      if (this.#queues.size(deviceId) === 0) this.#congested.delete(conn);
      return;
    }
    this.#congested.add(conn);
    conn.stalledSince ??= now;
    if (now - conn.stalledSince >= this.#limits.idleTimeoutSeconds * 1000) {
      this.#close(conn, CloseCode.stalled, "not reading");
    }
  }

  #expire(now: number): void {
    for (const { recipient, frame } of this.#queues.expire(now)) {
      if (frame.sender === undefined) continue;
      increment(this.counters.dropped, "expired");
      this.#tell(frame.sender, frame.id, {
        status: "dropped",
        reason: "expired",
      });
      this.#logFrame(`expired: a frame from ${frame.sender} for ${recipient}`);
    }
  }

  #sendPresence(): void {
    this.#presencePending = false;
    const frame = presenceFrame(this.#onlineList());
    for (const conn of this.#devices.values()) {
      if (conn.presence === frame) continue;
      if (this.#canSend(conn)) {
        conn.peer.send(frame);
        conn.presence = frame;
      } else {
        // Only the newest list matters; a later tick sends it.
        this.#presencePending = true;
      }
    }
  }

  #rateLimited(conn: Connection, envelope: Envelope): void {
    if (
      envelope.type === "chat" && envelope.id !== undefined &&
      envelope.sender === conn.deviceId
    ) {
      increment(this.counters.dropped, "rate_limited");
      this.#ack(conn, envelope.id, {
        status: "dropped",
        reason: "rate_limited",
      });
      this.#strike(conn, CloseCode.policyViolation);
      return;
    }
    this.#refuse(
      conn,
      "rate_limited",
      `at most ${this.#limits.rateLimit} frames per second`,
    );
  }

  #refuse(
    conn: Connection,
    code: ErrorCode,
    message: string,
    options: { closeCode?: number } = {},
  ): void {
    increment(this.counters.refused, code);
    this.#sendControl(conn, errorFrame(code, message));
    this.#logFrame(`refused ${conn.name}: ${code}`);
    this.#strike(conn, options.closeCode ?? CloseCode.policyViolation);
  }

  #strike(conn: Connection, closeCode: number): void {
    if (!conn.strikes.take(this.#now())) {
      this.#close(conn, closeCode, "too many refused frames");
    }
  }

  #ack(
    conn: Connection,
    id: string | undefined,
    ack: Omit<AckFrame, "type" | "id">,
  ): void {
    if (id !== undefined) {
      this.#sendControl(conn, ackFrame({ type: "ack", id, ...ack }));
    }
  }

  // Tells the sender of a queued frame what became of it, wherever it is
  // connected now; a sender that is offline finds the ack waiting for it.
  #tell(
    sender: string | undefined,
    id: string | undefined,
    ack: Omit<AckFrame, "type" | "id">,
  ): void {
    if (sender === undefined || id === undefined) return;
    const text = ackFrame({ type: "ack", id, ...ack });
    const conn = this.#devices.get(sender);
    if (conn) {
      this.#sendControl(conn, text);
    } else {
      this.#queues.push(sender, {
        text,
        bytes: utf8ByteLength(text),
        queuedAt: this.#now(),
      });
    }
  }

  // Acks and errors are small and not queued; a client that lets them pile
  // up far past the bound is not reading and is closed.
  #sendControl(conn: Connection, text: string): void {
    if (conn.peer.readyState !== OPEN) return;
    const { maxBufferedBytes, maxFrameBytes } = this.#limits;
    if (conn.peer.bufferedAmount > 2 * maxBufferedBytes + maxFrameBytes) {
      this.#close(conn, CloseCode.stalled, "not reading");
      return;
    }
    conn.peer.send(text);
  }

  #canSend(conn: Connection): boolean {
    return conn.peer.readyState === OPEN &&
      conn.peer.bufferedAmount < this.#limits.maxBufferedBytes;
  }

  #onlineList(): string[] {
    this.#online ??= [...this.#devices.keys()].sort();
    return this.#online;
  }

  #close(conn: Connection, code: number, reason: string): void {
    if (conn.closed) return;
    increment(this.counters.closed, code);
    this.#forget(conn);
    this.#log(`closing ${conn.name}: ${code} ${reason}`);
    conn.peer.close(code, reason);
  }

  #forget(conn: Connection): void {
    conn.closed = true;
    this.#connections.delete(conn.peer);
    this.#congested.delete(conn);
    if (
      conn.deviceId !== undefined && this.#devices.get(conn.deviceId) === conn
    ) {
      this.#devices.delete(conn.deviceId);
      this.#online = undefined;
      this.#presencePending = true;
    }
  }
}
