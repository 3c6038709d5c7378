/**
 * The frames the relay itself sends: registered, presence, ack, pong and error,
 * serialised once so that one string can go to many sockets.
 *
 * @module
 */

import type {
  AckFrame,
  ErrorCode,
  ErrorFrame,
  PongFrame,
  PresenceFrame,
  RegisteredFrame,
} from "../protocol/mod.ts";

/**
 * Serialises a `registered` frame.
 *
 * @example
 * ```ts
 * import { registeredFrame } from "./frames.ts";
 * console.log(registeredFrame("a", { online: ["a"], resume: "r" }));
 * // {"type":"registered","device_id":"a","online":["a"],"resume":"r"}
 * ```
 */
export function registeredFrame(
  deviceId: string,
  options: { online: string[]; resume: string },
): string {
  const frame: RegisteredFrame = {
    type: "registered",
    device_id: deviceId,
    online: options.online,
    resume: options.resume,
  };
  return JSON.stringify(frame);
}

/**
 * Serialises a `presence` frame.
 *
 * @example
 * ```ts
 * import { presenceFrame } from "./frames.ts";
 * console.log(presenceFrame(["a", "b"])); // {"type":"presence","online":["a","b"]}
 * ```
 */
export function presenceFrame(online: string[]): string {
  const frame: PresenceFrame = { type: "presence", online };
  return JSON.stringify(frame);
}

/**
 * Serialises an `ack` frame.
 *
 * @example
 * ```ts
 * import { ackFrame } from "./frames.ts";
 * console.log(ackFrame({ type: "ack", id: "m-1", status: "delivered" }));
 * // {"type":"ack","id":"m-1","status":"delivered"}
 * ```
 */
export function ackFrame(ack: AckFrame): string {
  return JSON.stringify(ack);
}

/**
 * Serialises the `pong` that answers a client's `ping`.
 *
 * @example
 * ```ts
 * import { pongFrame } from "./frames.ts";
 * console.log(pongFrame("p-1")); // {"type":"pong","id":"p-1"}
 * ```
 */
export function pongFrame(id: string): string {
  const frame: PongFrame = { type: "pong", id };
  return JSON.stringify(frame);
}

/**
 * Serialises an `error` frame.
 *
 * @example
 * ```ts
 * import { errorFrame } from "./frames.ts";
 * console.log(errorFrame("bad_json", "frame is not valid JSON"));
 * // {"type":"error","code":"bad_json","message":"frame is not valid JSON"}
 * ```
 */
export function errorFrame(code: ErrorCode, message: string): string {
  const frame: ErrorFrame = { type: "error", code, message };
  return JSON.stringify(frame);
}
