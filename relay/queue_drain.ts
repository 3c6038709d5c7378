/**
 * Emptying the queues: frames go to their device in order while its socket
 * has room, each with a delivered ack to its sender; a socket whose buffer
 * stays full for the idle timeout is closed; frames that waited too long are
 * dropped with an ack.
 *
 * @module
 */

import { CloseCode, type Connection } from "./connection.ts";
import type { HubState } from "./hub_state.ts";
import { increment } from "./metrics.ts";
import { tell } from "./routing.ts";

/**
 * Sends `conn` what is queued for its device, as far as its send buffer
 * allows; called when the device registers.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { DEFAULT_LIMITS } from "./config.ts";
 * import { Connection } from "./connection.ts";
 * import { HubState } from "./hub_state.ts";
 * import { drain } from "./queue_drain.ts";
 *
 * const hub = new HubState({ limits: DEFAULT_LIMITS });
 * hub.queues.push("Bravo", { text: "{}", bytes: 2, queuedAt: 0 });
 * const sent: string[] = [];
 * const peer = {
 *   readyState: 1,
 *   bufferedAmount: 0,
 *   send: (text: string) => sent.push(text),
 *   close() {},
 * };
 * const bravo = new Connection(peer, {
 *   number: 1,
 *   label: "b",
 *   rateLimit: 10,
 *   now: 0,
 *   nonce: "n",
 * });
 * hub.devices.add("Bravo", bravo);
 * drain(hub, bravo);
 * assertEquals(sent, ["{}"]);
 * assertEquals(hub.queues.size("Bravo"), 0);
 * ```
 */
export function drain(hub: HubState, conn: Connection): void {
  drainAt(hub, conn, hub.now());
}

/** {@linkcode drain}s every device with frames waiting or a full buffer. */
export function drainCongested(hub: HubState, now: number): void {
  for (const conn of hub.congested) drainAt(hub, conn, now);
}

/** Drops the frames that waited too long, telling their senders. */
export function expire(hub: HubState, now: number): void {
  for (const { recipient, frame } of hub.queues.expire(now)) {
    if (frame.sender === undefined) continue;
    increment(hub.counters.dropped, "expired");
    tell(hub, frame.sender, {
      id: frame.id,
      status: "dropped",
      reason: "expired",
    });
    hub.logFrame(`expired: a frame from ${frame.sender} for ${recipient}`);
  }
}

function drainAt(hub: HubState, conn: Connection, now: number): void {
  const deviceId = conn.deviceId!;
  while (hub.queues.size(deviceId) > 0 && hub.canSend(conn)) {
    const frame = hub.queues.shift(deviceId)!;
    conn.peer.send(frame.text);
    if (frame.sender === undefined) continue;
    hub.counters.framesRelayed++;
    tell(hub, frame.sender, { id: frame.id, status: "delivered" });
    hub.logFrame(
      `route ${frame.sender} -> ${deviceId}: delivered from queue`,
    );
  }
  if (conn.peer.bufferedAmount < hub.limits.maxBufferedBytes) {
    conn.stalledSince = undefined;
    if (hub.queues.size(deviceId) === 0) hub.congested.delete(conn);
    return;
  }
  hub.congested.add(conn);
  conn.stalledSince ??= now;
  if (now - conn.stalledSince >= hub.limits.idleTimeoutSeconds * 1000) {
    hub.close(conn, CloseCode.stalled, "not reading");
  }
}
