/**
 * The relay's core: the registry of devices, routing, acks, queues,
 * presence and limits, over an abstract socket so that it runs without a
 * network in unit tests.
 *
 * The hub learns a frame's type, sender, recipient and id from
 * `readEnvelope`, which parses the JSON and returns those fields only (of a
 * room frame: sender, room, id and `to`; of a join or leave, the KMS's
 * signed membership). The frame itself stays the opaque string it arrived
 * as: forwarded unchanged, or held in a queue for an offline recipient. No
 * other field is ever read, kept or logged.
 *
 * This module admits frames and dispatches them; registration, routing and
 * acks, rooms, presence and queue draining each have their own module.
 *
 * @module
 */

import {
  BROADCAST,
  type Envelope,
  newChallenge,
  readEnvelope,
  TICKET_CLOCK_SKEW_SECONDS,
} from "../protocol/mod.ts";
import type { Cluster } from "./cluster.ts";
import { CloseCode, Connection, type Peer } from "./connection.ts";
import { exceedsBytes } from "./frame_size.ts";
import { challengeFrame, errorFrame, pongFrame } from "./frames.ts";
import { type HubOptions, HubState } from "./hub_state.ts";
import { increment, type RelayCounters, type RelayGauges } from "./metrics.ts";
import { drainCongested, expire } from "./queue_drain.ts";
import { deviceReport } from "./device_report.ts";
import type { RelayDeviceReport } from "../protocol/relay_devices.ts";
import { admit } from "./registration.ts";
import { ack, broadcast, route } from "./routing.ts";
import { receiveRoomFrame, sendPendingRoomPresence } from "./room_routing.ts";

export { CloseCode, type HubOptions, type Peer };

// Messages a connection may send while its ticket is checked (well under a
// millisecond); a client has no reason to send more before `registered`.
const MAX_HELD = 16;
// While a registered connection's room membership is checked (as long), it
// may be flushing an outbox: up to this many messages, and the bytes of one
// offline device's queue, wait.
const MAX_HELD_REGISTERED = 256;

/**
 * How long a socket may stay open without registering before the relay
 * closes it (1008): an idle unregistered socket would otherwise hold a
 * connection slot for as long as it answers pings.
 */
export const REGISTER_TIMEOUT_MS = 10_000;

/**
 * Routes frames between registered devices.
 *
 * The server calls {@linkcode Hub.connect} when a socket opens,
 * {@linkcode Hub.receive} for each message, {@linkcode Hub.disconnect} when
 * it closes, and {@linkcode Hub.tick} a few dozen times a second to drain
 * queues, expire old frames, send presence and close stalled,
 * unregistered and expired-ticket sockets.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { DEFAULT_LIMITS } from "./config.ts";
 * import { Hub } from "./hub.ts";
 *
 * const hub = new Hub({ limits: DEFAULT_LIMITS });
 * const sent: string[] = [];
 * const peer = {
 *   readyState: 1,
 *   bufferedAmount: 0,
 *   send: (text: string) => sent.push(text),
 *   close: () => {},
 * };
 * hub.connect(peer, "127.0.0.1:50000");
 * assertEquals(JSON.parse(sent[0]).type, "challenge");
 * hub.receive(peer, '{"type":"register","device_id":"Soldier_Alpha"}');
 * const { resume, ...registered } = JSON.parse(sent[1]);
 * assertEquals(registered, {
 *   type: "registered",
 *   device_id: "Soldier_Alpha",
 *   online: ["Soldier_Alpha"],
 * });
 * assertEquals(typeof resume, "string");
 * ```
 */
export class Hub {
  #state: HubState;
  #nextExpiry = 0;
  #nextSweep = 0;
  #nextNumber = 1;

  /** Creates an empty hub. */
  constructor(options: HubOptions) {
    this.#state = new HubState(options);
  }

  /** What the hub has done, for `/metrics`. */
  get counters(): RelayCounters {
    return this.#state.counters;
  }

  /** The other relay nodes, when this hub is a node of a cluster. */
  get cluster(): Cluster | undefined {
    return this.#state.cluster;
  }

  /** Open connections, registered or not. */
  get connections(): number {
    return this.#state.connections.size;
  }

  /** Starts tracking an open socket; `label` names it in the log. */
  connect(peer: Peer, label: string): void {
    const hub = this.#state;
    const conn = new Connection(peer, {
      number: this.#nextNumber++,
      label,
      rateLimit: hub.limits.rateLimit,
      now: hub.now(),
      nonce: newChallenge(),
    });
    hub.connections.set(peer, conn);
    hub.counters.connections++;
    hub.log(`connect #${conn.number} from ${label}`);
    hub.sendControl(conn, challengeFrame(conn.nonce));
  }

  /** Handles one message: a text frame, or anything else to refuse. */
  receive(peer: Peer, data: unknown): void {
    const hub = this.#state;
    const conn = hub.connections.get(peer);
    if (!conn) return;
    if (conn.held) {
      const bytes = typeof data === "string" ? data.length : 0;
      if (
        conn.held.length <
          (conn.deviceId === undefined ? MAX_HELD : MAX_HELD_REGISTERED) &&
        conn.heldBytes + bytes <= hub.limits.queueMaxBytes
      ) {
        conn.held.push(data);
        conn.heldBytes += bytes;
      } else {
        hub.close(conn, CloseCode.policyViolation, "too many frames");
      }
      return;
    }
    hub.counters.framesReceived++;
    if (typeof data !== "string") {
      hub.refuse(conn, {
        code: "binary_frame",
        message: "send JSON text frames, not binary",
      }, { closeCode: CloseCode.unsupportedData });
      return;
    }
    const { maxFrameBytes } = hub.limits;
    if (exceedsBytes(data, maxFrameBytes)) {
      hub.refuse(conn, {
        code: "frame_too_large",
        message: `frames are limited to ${maxFrameBytes} bytes`,
      }, { closeCode: CloseCode.messageTooBig });
      return;
    }
    const read = readEnvelope(data);
    if (!read.ok) {
      hub.refuse(conn, read.error);
    } else if (!conn.rate.take(hub.now())) {
      this.#rateLimited(conn, read.envelope);
    } else if (read.envelope.type === "register") {
      const checking = admit(hub, conn, {
        deviceId: read.envelope.sender,
        text: data,
      });
      if (checking) this.#hold(conn, checking);
    } else if (conn.deviceId === undefined) {
      hub.refuse(conn, {
        code: "not_registered",
        message: "send a register frame first",
      });
    } else if (read.envelope.type === "ping") {
      hub.sendControl(conn, pongFrame(read.envelope.id));
    } else if (read.envelope.type !== "chat") {
      const checking = receiveRoomFrame(hub, conn, {
        envelope: read.envelope,
        text: data,
      });
      if (checking) this.#hold(conn, checking);
    } else if (hub.spoofed(conn, read.envelope.sender)) {
      return;
    } else if (read.envelope.recipient === BROADCAST) {
      broadcast(hub, conn, { id: read.envelope.id, text: data });
    } else {
      route(hub, conn, { envelope: read.envelope, text: data });
    }
  }

  /** Closes an open socket, e.g. one silent for the idle timeout. */
  close(peer: Peer, code: number, reason: string): void {
    const conn = this.#state.connections.get(peer);
    if (conn) this.#state.close(conn, code, reason);
  }

  /** Forgets a socket that closed; `code` is its close code, for the log. */
  disconnect(peer: Peer, code: number): void {
    const conn = this.#state.connections.get(peer);
    if (!conn) return;
    this.#state.forget(conn);
    this.#state.log(`disconnect ${conn.name}: close code ${code}`);
  }

  /**
   * Drains queues into sockets that have room, closes sockets stalled for
   * the idle timeout, unregistered past {@linkcode REGISTER_TIMEOUT_MS} or
   * past their ticket's expiry, expires old frames and sends pending
   * presence.
   */
  tick(): void {
    const hub = this.#state;
    const now = hub.now();
    drainCongested(hub, now);
    if (now >= this.#nextSweep) {
      this.#nextSweep = now + 1000;
      this.#sweep(now);
    }
    if (now >= this.#nextExpiry) {
      this.#nextExpiry = now + Math.min(1000, hub.limits.queueMaxAgeMs / 10);
      expire(hub, now);
    }
    if (hub.devices.presencePending) {
      hub.devices.sendPresence(hub.limits.maxBufferedBytes);
    }
    sendPendingRoomPresence(hub);
    hub.roomTraffic.flush(now);
  }

  /** Closes every connection, e.g. on shutdown. */
  closeAll(code: number, reason: string): void {
    for (const conn of this.#state.connections.values()) {
      this.#state.close(conn, code, reason);
    }
  }

  /** The registered devices and their queues, for `GET /devices`. */
  deviceReport(): RelayDeviceReport {
    return deviceReport(this.#state, Date.now());
  }

  /** Current values for `/metrics`. */
  gauges(): RelayGauges {
    const hub = this.#state;
    let bufferedBytes = 0;
    for (const peer of hub.connections.keys()) {
      bufferedBytes += peer.bufferedAmount;
    }
    return {
      connections: hub.connections.size,
      devices: hub.devices.size,
      queueFrames: hub.queues.totalFrames,
      queueBytes: hub.queues.totalBytes,
      bufferedBytes,
      rooms: hub.rooms.size,
    };
  }

  // Closes sockets that never registered, and ticketed ones whose ticket
  // expired (with the same skew verifyTicket allows at registration); a
  // device that registered again meanwhile is on a new connection. Forgets
  // rooms whose membership expired.
  #sweep(now: number): void {
    const hub = this.#state;
    const unixNow = hub.admission.unixNow();
    hub.rooms.expire(unixNow);
    for (const conn of hub.connections.values()) {
      if (conn.deviceId === undefined) {
        if (now - conn.openedAt >= REGISTER_TIMEOUT_MS) {
          hub.close(conn, CloseCode.policyViolation, "did not register");
        }
      } else if (
        conn.ticketExpiresAt !== undefined &&
        unixNow >= conn.ticketExpiresAt + TICKET_CLOCK_SKEW_SECONDS
      ) {
        hub.sendControl(
          conn,
          errorFrame(
            "ticket_invalid",
            "ticket expired: renew it and register again",
          ),
        );
        hub.close(conn, CloseCode.ticketExpired, "ticket expired");
      }
    }
  }

  // Holds what `conn` sends while `checking` (a ticket or a membership)
  // runs, then handles it in order; a held frame may start another check,
  // which holds the rest.
  #hold(conn: Connection, checking: Promise<void>): void {
    conn.held = [];
    checking.catch((error) => {
      this.#state.log(
        `internal error checking a signature: ${describe(error)}`,
      );
      this.#state.close(conn, CloseCode.internalError, "internal error");
    }).finally(() => {
      const held = conn.held ?? [];
      conn.held = undefined;
      conn.heldBytes = 0;
      for (const [i, data] of held.entries()) {
        this.receive(conn.peer, data);
        // The frame just handled may have started another check.
        const again = conn.held as unknown[] | undefined;
        if (again) {
          again.push(...held.slice(i + 1));
          return;
        }
      }
    });
  }

  // A chat or room_chat frame over the limit is dropped with an ack, which
  // counts as a strike; any other frame is refused with an error.
  #rateLimited(conn: Connection, envelope: Envelope): void {
    const hub = this.#state;
    if (
      (envelope.type === "chat" || envelope.type === "room_chat") &&
      envelope.id !== undefined && envelope.sender === conn.deviceId
    ) {
      increment(hub.counters.dropped, "rate_limited");
      ack(hub, conn, {
        id: envelope.id,
        status: "dropped",
        reason: "rate_limited",
      });
      hub.strike(conn, CloseCode.policyViolation);
      return;
    }
    hub.refuse(conn, {
      code: "rate_limited",
      message: `at most ${hub.limits.rateLimit} frames per second`,
    });
  }
}

/**
 * The name and stack of an error without its message line, which could
 * quote a frame: what the relay logs of an unexpected error.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { describe } from "./hub.ts";
 *
 * assertEquals(describe(new TypeError("secret")).startsWith("TypeError"), true);
 * assertEquals(describe(new TypeError("secret")).includes("secret"), false);
 * ```
 */
export function describe(error: unknown): string {
  return error instanceof Error
    ? `${error.name}${error.stack?.replace(/^[^\n]*/, "") ?? ""}`
    : typeof error;
}
