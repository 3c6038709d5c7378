/**
 * What the room layer uses of the sender-key engine (`room_engine.ts`'s
 * `RoomEngine`): memberships in, frames in and out, a room's state. The
 * engine verifies memberships with the KMS's ticket key, fetches each
 * epoch's room key through the callback it is given, says hello, answers
 * hellos with this member's sender key, and opens and seals lines.
 *
 * @module
 */

import type { RoomEngine, RoomEvent } from "./room_engine.ts";

/** What the engine reports. */
export type EngineEvent = RoomEvent;

/** The engine, as the room layer drives it (tests give a stand-in). */
export type RoomProtocol = Pick<
  RoomEngine,
  "setMembership" | "retryKey" | "receive" | "seal" | "status" | "forget"
>;
