/**
 * Registration: a connection claims a device id, shows the KMS's ticket for
 * it where the relay asks for one with the proof that it holds the ticket's
 * identity key (its signature of this connection's challenge), is refused
 * while another open socket holds the id, takes it over with that socket's
 * resume token or a proven ticket, and then gets what was queued for the
 * device.
 *
 * @module
 */

import { verifyRegistration } from "../protocol/mod.ts";
import { CloseCode, type Connection } from "./connection.ts";
import { presenceFrame, registeredFrame } from "./frames.ts";
import type { HubState, Refusal } from "./hub_state.ts";
import { drain } from "./queue_drain.ts";
import { readRegisterFields } from "./register_fields.ts";
import { newResumeToken } from "./resume_token.ts";
import { checkTicket } from "./ticket_check.ts";

/** A register frame: the device id it claims and the frame's text. */
export interface RegisterArrival {
  /** The device id, from `device_id` or the older `from`. */
  deviceId: string;
  /** The frame as received, for its optional `resume` and `ticket`. */
  text: string;
}

/**
 * Admits `conn` as a device: checks its ticket and its proof of the
 * ticket's identity key when the hub has the KMS's ticket key (unless the
 * hub is open and the frame has no ticket), refusing and closing on a
 * missing or bad one, then registers it. Returns a promise while
 * the ticket is being checked or a cluster claims the id, `undefined` when
 * it is decided at once.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { DEFAULT_LIMITS } from "./config.ts";
 * import { Connection } from "./connection.ts";
 * import { HubState } from "./hub_state.ts";
 * import { admit } from "./registration.ts";
 *
 * const hub = new HubState({ limits: DEFAULT_LIMITS, kmsKey: new Uint8Array(32) });
 * const sent: string[] = [];
 * let closed: number | undefined;
 * const peer = {
 *   readyState: 1,
 *   bufferedAmount: 0,
 *   send: (text: string) => sent.push(text),
 *   close: (code?: number) => closed = code,
 * };
 * const conn = new Connection(peer, {
 *   number: 1,
 *   label: "a",
 *   rateLimit: 10,
 *   now: 0,
 *   nonce: "n",
 * });
 * await admit(hub, conn, { deviceId: "Soldier_Alpha", text: "{}" });
 * assertEquals(JSON.parse(sent[0]).code, "ticket_required");
 * assertEquals(closed, 1008);
 * ```
 */
export function admit(
  hub: HubState,
  conn: Connection,
  arrival: RegisterArrival,
): Promise<void> | undefined {
  const { deviceId } = arrival;
  if (conn.deviceId !== undefined) {
    hub.refuse(conn, {
      code: "duplicate_device",
      message: `this connection is already registered as ${conn.deviceId}`,
    });
    return;
  }
  const fields = readRegisterFields(arrival.text);
  if (!fields.ok) {
    hub.refuse(conn, { code: "bad_field", message: fields.message });
    return;
  }
  const { kmsKey, open } = hub.admission;
  if (!kmsKey || (open && fields.ticket === undefined)) {
    return claim(hub, conn, {
      deviceId,
      resume: fields.resume,
      ticketed: false,
      watch: fields.watch,
    });
  }
  return checkTicket(fields.ticket, {
    kmsKey,
    deviceId,
    now: hub.admission.unixNow(),
  }).then(async (checked) => {
    // A ticket alone is a bearer credential every peer of the device has
    // seen in its handshake; only the identity key's holder can sign.
    const proven = checked.ok && await verifyRegistration(checked.publicKey, {
      nonce: conn.nonce,
      deviceId,
      proof: fields.proof,
    });
    if (conn.closed) return;
    if (!proven) {
      const refusal = checked.ok
        ? {
          code: "ticket_invalid" as const,
          message: "no proof of the ticket's identity key",
        }
        : checked.refusal;
      hub.refuse(conn, refusal);
      hub.close(conn, CloseCode.policyViolation, refusal.code);
      return;
    }
    await claim(hub, conn, {
      deviceId,
      resume: fields.resume,
      ticketed: true,
      ticketExpiresAt: checked.expiresAt,
      watch: fields.watch,
    });
  });
}

// On a node of a cluster, the device id is claimed in the whole cluster
// first, under the same rule as on one relay (cluster.ts), with the resume
// token the registration will carry.
function claim(
  hub: HubState,
  conn: Connection,
  admitted: Admitted,
): Promise<void> | undefined {
  if (!hub.cluster) {
    register(hub, conn, admitted);
    return;
  }
  const token = newResumeToken();
  return hub.cluster.claim(conn, { ...admitted, token }).then((claimed) => {
    if (conn.closed) return;
    if (!claimed.ok) hub.refuse(conn, claimed.refusal);
    else register(hub, conn, { ...admitted, token });
  });
}

/**
 * The refusal of a device id another open socket holds, here or on another
 * node of a cluster.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { inUse } from "./registration.ts";
 *
 * assertEquals(inUse("Alpha").code, "duplicate_device");
 * ```
 */
export function inUse(deviceId: string): Refusal {
  return {
    code: "duplicate_device",
    message: `${deviceId} is already online; to replace a lost connection, ` +
      "send the resume token from its registered frame",
  };
}

/** An admitted registration. */
export interface Admitted {
  /** The device id. */
  deviceId: string;
  /** The resume token it presented, if any. */
  resume?: string;
  /** Whether it proved the device id with a valid ticket and its proof. */
  ticketed: boolean;
  /** When its ticket expires (Unix seconds): the hub closes it then. */
  ticketExpiresAt?: number;
  /** The devices it watches, from the register frame's `watch`. */
  watch?: string[];
  /** Its new resume token, if already chosen (by a cluster claim). */
  token?: string;
}

/**
 * Registers `conn` as a device, answering with a `registered` frame that
 * lists who is online (every device, or with `watch` itself and the watched
 * devices online) and carries a fresh resume token. An open socket
 * already registered as the device is replaced only by a registration with
 * its resume token or with a valid ticket and proof (which prove the
 * identity);
 * otherwise the newcomer is refused.
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
 *   nonce: "n",
 * });
 * register(hub, conn, { deviceId: "Soldier_Alpha", ticketed: false });
 * const registered = JSON.parse(sent[0]);
 * assertEquals(registered.type, "registered");
 * assertEquals(registered.online, ["Soldier_Alpha"]);
 * assertEquals(registered.resume, conn.resume);
 * ```
 */
export function register(
  hub: HubState,
  conn: Connection,
  admitted: Admitted,
): void {
  const { deviceId, resume, ticketed } = admitted;
  const existing = hub.devices.get(deviceId);
  if (existing) {
    if (existing.open && !ticketed && resume !== existing.resume) {
      hub.refuse(conn, inUse(deviceId));
      return;
    }
    hub.log(`${deviceId} moves from #${existing.number} to #${conn.number}`);
    hub.close(
      existing,
      CloseCode.replaced,
      ticketed
        ? "replaced by a connection with a ticket"
        : "replaced by a new connection",
    );
  }
  conn.resume = admitted.token ?? newResumeToken();
  conn.ticketExpiresAt = admitted.ticketExpiresAt;
  if (admitted.watch) hub.devices.watch(conn, admitted.watch);
  hub.devices.add(deviceId, conn);
  hub.cluster?.attached(conn);
  hub.counters.registrations++;
  const online = hub.devices.onlineFor(conn);
  conn.presence = presenceFrame(online);
  hub.sendControl(
    conn,
    registeredFrame(deviceId, { online, resume: conn.resume }),
  );
  const waiting = hub.queues.size(deviceId);
  hub.log(
    `register ${conn.name}${ticketed ? " with a ticket" : ""}: ` +
      `${hub.devices.size} online` +
      (waiting > 0 ? `, ${waiting} queued for it` : ""),
  );
  if (waiting > 0) drain(hub, conn);
}
