/**
 * Routing a chat frame to one device or to all, and the acks that tell its
 * sender what became of it: delivered, queued behind an offline or full
 * recipient, or dropped with a reason.
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
  const { text } = arrival;
  const { sender, recipient, id } = arrival.envelope;
  const target = hub.devices.get(recipient);
  if (target && hub.queues.size(recipient) === 0 && hub.canSend(target)) {
    target.peer.send(text);
    hub.counters.framesRelayed++;
    ack(hub, conn, { id, status: "delivered" });
    hub.logFrame(`route ${sender} -> ${recipient}: delivered`);
    return;
  }
  const online = target?.open === true;
  if (!online) {
    hub.logFrame(
      `WARNING: ${recipient} is offline; holding the frame from ${sender}`,
    );
  }
  const reason: QueueReason = online ? "backpressure" : "offline";
  const refusal = hub.queues.push(recipient, {
    text,
    bytes: utf8ByteLength(text),
    sender,
    id,
    queuedAt: hub.now(),
  });
  if (refusal) {
    increment(hub.counters.dropped, refusal);
    ack(hub, conn, { id, status: "dropped", reason: refusal });
    hub.logFrame(`route ${sender} -> ${recipient}: dropped (${refusal})`);
    return;
  }
  hub.counters.framesQueued++;
  if (target) hub.congested.add(target);
  ack(hub, conn, { id, status: "queued", reason });
  hub.logFrame(
    `route ${sender} -> ${recipient}: queued (${reason}, ` +
      `${hub.queues.size(recipient)} waiting)`,
  );
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
  } else {
    hub.queues.push(sender, {
      text,
      bytes: utf8ByteLength(text),
      queuedAt: hub.now(),
    });
  }
}
