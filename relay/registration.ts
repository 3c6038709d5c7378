/**
 * Registration: a connection claims a device id, is refused while another
 * open socket holds it, takes it over with that socket's resume token, and
 * then gets what was queued for the device.
 *
 * @module
 */

import { CloseCode, type Connection } from "./connection.ts";
import { presenceFrame, registeredFrame } from "./frames.ts";
import type { HubState } from "./hub_state.ts";
import { drain } from "./queue_drain.ts";
import { newResumeToken, readResumeToken } from "./resume_token.ts";

/** A register frame: the device id it claims and the frame's text. */
export interface RegisterArrival {
  /** The device id, from `device_id` or the older `from`. */
  deviceId: string;
  /** The frame as received, for its optional `resume` token. */
  text: string;
}

/**
 * Registers `conn` as a device, answering with a `registered` frame that
 * lists who is online and carries a fresh resume token.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { DEFAULT_LIMITS } from "./config.ts";
 * import { Connection } from "./connection.ts";
 * import { HubState } from "./hub_state.ts";
 * import { register } from "./registration.ts";
 *
 * const hub = new HubState({ limits: DEFAULT_LIMITS });
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
 * });
 * register(hub, conn, { deviceId: "Soldier_Alpha", text: "{}" });
 * const registered = JSON.parse(sent[0]);
 * assertEquals(registered.type, "registered");
 * assertEquals(registered.online, ["Soldier_Alpha"]);
 * assertEquals(registered.resume, conn.resume);
 * ```
 */
export function register(
  hub: HubState,
  conn: Connection,
  arrival: RegisterArrival,
): void {
  const { deviceId, text } = arrival;
  if (conn.deviceId !== undefined) {
    hub.refuse(conn, {
      code: "duplicate_device",
      message: `this connection is already registered as ${conn.deviceId}`,
    });
    return;
  }
  const resume = readResumeToken(text);
  if (!resume.ok) {
    hub.refuse(conn, { code: "bad_field", message: resume.message });
    return;
  }
  const existing = hub.devices.get(deviceId);
  if (existing) {
    if (existing.open && resume.token !== existing.resume) {
      hub.refuse(conn, {
        code: "duplicate_device",
        message:
          `${deviceId} is already online; to replace a lost connection, ` +
          "send the resume token from its registered frame",
      });
      return;
    }
    hub.log(`${deviceId} moves from #${existing.number} to #${conn.number}`);
    hub.close(existing, CloseCode.replaced, "replaced by a new connection");
  }
  conn.resume = newResumeToken();
  hub.devices.add(deviceId, conn);
  hub.counters.registrations++;
  const online = hub.devices.online();
  conn.presence = presenceFrame(online);
  hub.sendControl(
    conn,
    registeredFrame(deviceId, { online, resume: conn.resume }),
  );
  const waiting = hub.queues.size(deviceId);
  hub.log(
    `register ${conn.name}: ${online.length} online` +
      (waiting > 0 ? `, ${waiting} queued for it` : ""),
  );
  if (waiting > 0) drain(hub, conn);
}
