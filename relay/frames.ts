/**
 * The frames the relay itself sends: challenge, registered, presence, ack,
 * pong, error and room_presence,
 * serialised once so that one string can go to many sockets. Each is built
 * as the {@linkcode RelayOwnFrame} that clients read with `parseServerFrame`.
 *
 * @module
 */

import type {
  AckFrame,
  ErrorCode,
  RelayOwnFrame,
  RoomPresenceFrame,
} from "../protocol/mod.ts";

/**
 * Serialises the `challenge` frame that opens every connection.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { challengeFrame } from "./frames.ts";
 * assertEquals(challengeFrame("n0"), '{"type":"challenge","nonce":"n0"}');
 * ```
 */
export function challengeFrame(nonce: string): string {
  return encode({ type: "challenge", nonce });
}

/**
 * Serialises a `registered` frame.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { registeredFrame } from "./frames.ts";
 * assertEquals(
 *   registeredFrame("a", { online: ["a"], resume: "r" }),
 *   '{"type":"registered","device_id":"a","online":["a"],"resume":"r"}',
 * );
 * ```
 */
export function registeredFrame(
  deviceId: string,
  options: { online: string[]; resume: string },
): string {
  return encode({
    type: "registered",
    device_id: deviceId,
    online: options.online,
    resume: options.resume,
  });
}

/**
 * Serialises a `presence` frame.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { presenceFrame } from "./frames.ts";
 * assertEquals(
 *   presenceFrame(["a", "b"]),
 *   '{"type":"presence","online":["a","b"]}',
 * );
 * ```
 */
export function presenceFrame(online: string[]): string {
  return encode({ type: "presence", online });
}

/**
 * Serialises an `ack` frame.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { ackFrame } from "./frames.ts";
 * assertEquals(
 *   ackFrame({ type: "ack", id: "m-1", status: "delivered" }),
 *   '{"type":"ack","id":"m-1","status":"delivered"}',
 * );
 * ```
 */
export function ackFrame(ack: AckFrame): string {
  return encode(ack);
}

/**
 * Serialises the `pong` that answers a client's `ping`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { pongFrame } from "./frames.ts";
 * assertEquals(pongFrame("p-1"), '{"type":"pong","id":"p-1"}');
 * ```
 */
export function pongFrame(id: string): string {
  return encode({ type: "pong", id });
}

/**
 * Serialises an `error` frame.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { errorFrame } from "./frames.ts";
 * assertEquals(
 *   errorFrame("bad_json", "frame is not valid JSON"),
 *   '{"type":"error","code":"bad_json","message":"frame is not valid JSON"}',
 * );
 * ```
 */
export function errorFrame(code: ErrorCode, message: string): string {
  return encode({ type: "error", code, message });
}

/**
 * Serialises a `room_presence` frame.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { roomPresenceFrame } from "./frames.ts";
 * assertEquals(
 *   roomPresenceFrame({ room: "r", epoch: 2, membership: "m.s", online: ["a"] }),
 *   '{"type":"room_presence","room":"r","epoch":2,"membership":"m.s","online":["a"]}',
 * );
 * ```
 */
export function roomPresenceFrame(
  presence: Omit<RoomPresenceFrame, "type">,
): string {
  return encode({
    type: "room_presence",
    room: presence.room,
    epoch: presence.epoch,
    membership: presence.membership,
    online: presence.online,
  });
}

function encode(frame: RelayOwnFrame): string {
  return JSON.stringify(frame);
}
