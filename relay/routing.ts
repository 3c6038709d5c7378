/**
 * Routing a chat frame to one device or to all, and the acks that tell its
 * sender what became of it: delivered, queued behind an offline or full
 * recipient, or dropped with a reason. Room fan-out (room_routing.ts) hands
 * each member's copy over the same way.
 *
 * @module
 */

import type {
  AckFrame,
  DropReason,
  Envelope,
  QueueReason,
} from "../protocol/mod.ts";
import type { Connection } from "./connection.ts";
import { utf8ByteLength } from "./frame_size.ts";
import type { QueueRefusal } from "./offline_queue.ts";
import { ackFrame } from "./frames.ts";
import type { HubState } from "./hub_state.ts";
import { increment } from "./metrics.ts";

/** What an ack says about a frame; no ack goes out for a frame without id. */
export type Receipt = Omit<AckFrame, "type" | "id"> & { id?: string };

/** A chat frame to route: its routing fields and the text to forward. */
export interface ChatArrival {
  /** The routing fields `readEnvelope` returned. */
  envelope: Extract<Envelope, { type: "chat" }>;
  /** The frame exactly as received. */
  text: string;
}

/**
 * Hands a chat frame to its recipient, or queues it behind an offline or
 * full recipient or behind frames already waiting, and acks the sender.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { DEFAULT_LIMITS } from "./config.ts";
 * import { Connection } from "./connection.ts";
 * import { HubState } from "./hub_state.ts";
 * import { route } from "./routing.ts";
 *
 * const hub = new HubState({ limits: DEFAULT_LIMITS });
 * const sent: string[] = [];
 * const peer = {
 *   readyState: 1,
 *   bufferedAmount: 0,
 *   send: (text: string) => sent.push(text),
 *   close() {},
 * };
 * const alpha = new Connection(peer, {
 *   number: 1,
 *   label: "a",
 *   rateLimit: 10,
 *   now: 0,
 *   nonce: "n",
 * });
 * hub.devices.add("Alpha", alpha);
 * const envelope = {
 *   type: "chat" as const,
 *   sender: "Alpha",
 *   recipient: "Bravo",
 *   id: "m-1",
 * };
 * route(hub, alpha, { envelope, text: JSON.stringify(envelope) });
 * assertEquals(sent, [
 *   '{"type":"ack","id":"m-1","status":"queued","reason":"offline"}',
 * ]);
 * assertEquals(hub.queues.size("Bravo"), 1);
 * ```
 */
export function route(
  hub: HubState,
  conn: Connection,
  arrival: ChatArrival,
): void {
  const { sender, recipient, id } = arrival.envelope;
  const outcome = handOver(hub, recipient, { text: arrival.text, sender, id });
  if (typeof outcome === "string") {
    settleRoute(hub, conn, { sender, recipient, id, outcome });
  } else {
    outcome.then((outcome) =>
      settleRoute(hub, conn, { sender, recipient, id, outcome })
    );
  }
}

function settleRoute(
  hub: HubState,
  conn: Connection,
  routed: { sender: string; recipient: string; id?: string; outcome: Handover },
): void {
  const { sender, recipient, id, outcome } = routed;
  if (outcome === "delivered") {
    ack(hub, conn, { id, status: "delivered" });
    hub.logFrame(`route ${sender} -> ${recipient}: delivered`);
    return;
  }
  if (
    outcome !== "backpressure" && !hub.devices.isOnline(recipient)
  ) {
    hub.logFrame(
      `WARNING: ${recipient} is offline; holding the frame from ${sender}`,
    );
  }
  if (outcome !== "offline" && outcome !== "backpressure") {
    ack(hub, conn, { id, status: "dropped", reason: outcome });
    hub.logFrame(`route ${sender} -> ${recipient}: dropped (${outcome})`);
    return;
  }
  ack(hub, conn, { id, status: "queued", reason: outcome });
  hub.logFrame(
    `route ${sender} -> ${recipient}: queued (${outcome}` +
      (hub.cluster ? ")" : `, ${hub.queues.size(recipient)} waiting)`),
  );
}

/**
 * What became of one copy of a frame: handed to the recipient's socket,
 * queued (with why), or refused by the queue (with why).
 */
export type Handover =
  | "delivered"
  | QueueReason
  | QueueRefusal
  | "unavailable";

/**
 * Hands one copy of a frame to `recipient` when it is online, reading, and
 * has nothing queued before it; else queues it in the recipient's queue,
 * within the queue's limits and the sender's share. Counts it; acks are the
 * caller's. A copy queued without `id` gets no ack when it leaves the queue.
 * On a node of a cluster, a copy that cannot go to a local socket at once
 * goes to the cluster, and the outcome comes as a promise.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { DEFAULT_LIMITS } from "./config.ts";
 * import { HubState } from "./hub_state.ts";
 * import { handOver } from "./routing.ts";
 *
 * const hub = new HubState({ limits: DEFAULT_LIMITS });
 * assertEquals(handOver(hub, "Bravo", { text: "{}", sender: "Alpha" }), "offline");
 * assertEquals(hub.queues.size("Bravo"), 1);
 * ```
 */
export function handOver(
  hub: HubState,
  recipient: string,
  frame: { text: string; sender: string; id?: string },
): Handover | Promise<Handover> {
  const { text } = frame;
  const target = hub.devices.get(recipient);
  if (
    target && hub.queues.size(recipient) === 0 && hub.canSend(target) &&
    hub.cluster?.backlogged(recipient) !== true
  ) {
    target.peer.send(text);
    hub.counters.framesRelayed++;
    return "delivered";
  }
  if (hub.cluster) return hub.cluster.handOver(recipient, frame);
  const refusal = hub.queues.push(recipient, {
    text,
    bytes: utf8ByteLength(text),
    sender: frame.sender,
    id: frame.id,
    queuedAt: hub.now(),
  });
  if (refusal) {
    increment(hub.counters.dropped, refusal);
    return refusal;
  }
  hub.counters.framesQueued++;
  if (target) hub.congested.add(target);
  return target?.open === true ? "backpressure" : "offline";
}

/**
 * Hands a frame to every other device online now. A copy for a device that
 * is not reading is dropped rather than queued, so the one ack, with counts,
 * is the whole story.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { DEFAULT_LIMITS } from "./config.ts";
 * import { Connection } from "./connection.ts";
 * import { HubState } from "./hub_state.ts";
 * import { broadcast } from "./routing.ts";
 *
 * const hub = new HubState({ limits: DEFAULT_LIMITS });
 * const sent: string[] = [];
 * const peer = {
 *   readyState: 1,
 *   bufferedAmount: 0,
 *   send: (text: string) => sent.push(text),
 *   close() {},
 * };
 * const alpha = new Connection(peer, {
 *   number: 1,
 *   label: "a",
 *   rateLimit: 10,
 *   now: 0,
 *   nonce: "n",
 * });
 * hub.devices.add("Alpha", alpha);
 * broadcast(hub, alpha, { id: "m-1", text: "{}" });
 * assertEquals(sent, [
 *   '{"type":"ack","id":"m-1","status":"dropped","reason":"no_recipients","delivered":0,"dropped":0}',
 * ]);
 * ```
 */
export function broadcast(
  hub: HubState,
  conn: Connection,
  arrival: { id?: string; text: string },
): void {
  const { id, text } = arrival;
  let delivered = 0;
  let dropped = 0;
  for (const target of hub.devices.values()) {
    if (target === conn) continue;
    if (hub.queues.size(target.deviceId!) === 0 && hub.canSend(target)) {
      target.peer.send(text);
      delivered++;
    } else {
      dropped++;
    }
  }
  hub.counters.framesRelayed += delivered;
  const remote = hub.cluster &&
    [...hub.cluster.remoteDevices()].map((device) =>
      hub.cluster!.handOver(device, { text, sender: conn.deviceId! }, {
        live: true,
      })
    );
  if (!remote || remote.length === 0) {
    settleBroadcast(hub, conn, { id, delivered, dropped });
    return;
  }
  Promise.all(remote).then((outcomes) => {
    for (const outcome of outcomes) {
      // The node that holds a device counts what it relays to it.
      if (outcome === "delivered") delivered++;
      else if (outcome !== "offline") dropped++;
    }
    settleBroadcast(hub, conn, { id, delivered, dropped });
  });
}

function settleBroadcast(
  hub: HubState,
  conn: Connection,
  counts: { id?: string; delivered: number; dropped: number },
): void {
  const { id, delivered, dropped } = counts;
  const reason: DropReason | undefined = dropped > 0
    ? "backpressure"
    : delivered === 0
    ? "no_recipients"
    : undefined;
  if (reason) increment(hub.counters.dropped, reason);
  ack(hub, conn, {
    id,
    status: delivered > 0 ? "delivered" : "dropped",
    reason,
    delivered,
    dropped,
  });
  hub.logFrame(
    `route ${conn.deviceId} -> all: delivered to ${delivered}` +
      (dropped > 0 ? `, dropped for ${dropped} not reading` : ""),
  );
}

/** Acks a frame to the connection that sent it, if the frame had an id. */
export function ack(hub: HubState, conn: Connection, receipt: Receipt): void {
  const { id, ...ack } = receipt;
  if (conn.deviceId !== undefined) {
    hub.counters.devices.count(conn.deviceId, {
      dropped: receipt.status === "dropped",
    });
  }
  if (id !== undefined) {
    hub.sendControl(conn, ackFrame({ type: "ack", id, ...ack }));
  }
}

/**
 * Tells the sender of a queued frame what became of it, wherever it is
 * connected now; a sender that is offline finds the ack waiting for it.
 */
export function tell(
  hub: HubState,
  sender: string | undefined,
  receipt: Receipt,
): void {
  const { id, ...ack } = receipt;
  if (sender === undefined || id === undefined) return;
  const text = ackFrame({ type: "ack", id, ...ack });
  const conn = hub.devices.get(sender);
  if (conn) {
    hub.sendControl(conn, text);
  } else if (hub.cluster) {
    hub.cluster.tell(sender, text);
  } else {
    hub.queues.push(sender, {
      text,
      bytes: utf8ByteLength(text),
      queuedAt: hub.now(),
    });
  }
}
