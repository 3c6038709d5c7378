/**
 * The KMS's room API as it crosses the wire: membership requests, the room's
 * state and the room key wrapped to one member. Every field a device sends
 * is checked by the KMS; every field it receives is checked by the client.
 *
 * `POST /rooms/join`, `POST /rooms/leave`, `GET /rooms`, `POST /rooms/key`
 * (bearer token of `device_id`; `GET /rooms` lists every room for an
 * operator). Errors are `{message}` with 400 (bad input), 403 (not a
 * member), 404 (no such room or not in it), 409 (full, or a stale epoch:
 * then with the current `epoch`).
 *
 * The readers ({@linkcode readRoomState}, {@linkcode readRoomLeave},
 * {@linkcode readRoomList}, {@linkcode readRoomKey}) are the client's trust
 * boundary: an answer that is not one, field for field, is `malformed`. The
 * membership text is only checked for its size here; `verifyMembership`
 * checks its signature.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { readRoomKey } from "./room_api.ts";
 *
 * const red = { error: "QKD link compromised", qber: 0.26, status: "RED" };
 * assertEquals(readRoomKey(red), {
 *   ok: false,
 *   reason: "link_refused",
 *   message: "QKD link compromised",
 *   status: "RED",
 * });
 * assertEquals(readRoomKey({ room: "r" }), { ok: false, reason: "malformed" });
 * ```
 *
 * @module
 */

import { isCount, isRatio, isRecord, type Json } from "./json_checks.ts";
import { KEM_CIPHERTEXT_LENGTH, WRAPPED_KEY_LENGTH } from "./key_wrap.ts";
import {
  checkRoomName,
  isRoomCapacity,
  MAX_MEMBERSHIP_LENGTH,
  MAX_ROOM_CAPACITY,
} from "./room.ts";
import { isDeviceId, type LinkStatus } from "./types.ts";

/** Body of `POST /rooms/join`: join `room`, creating it with `expected` seats. */
export interface RoomJoinRequest {
  /** The device joining (its token's). */
  device_id: string;
  /** The room's name (`checkRoomName`). */
  room: string;
  /** Seats, when the join creates the room (`isRoomCapacity`); else ignored. */
  expected?: number;
}

/** Body of `POST /rooms/leave`. */
export interface RoomLeaveRequest {
  /** The device leaving. */
  device_id: string;
  /** The room it leaves. */
  room: string;
}

/** A room as the KMS tells its members (and operators) about it. */
export interface RoomState extends RoomSummary {
  /** The signed membership of this epoch (`protocol/room.ts`). */
  membership: string;
}

/** A room without its membership text (the KMS's `room` event carries it). */
export interface RoomSummary {
  /** The room's name. */
  room: string;
  /** The current epoch (`RoomMembership.epoch`). */
  epoch: number;
  /** Its first member. */
  leader: string;
  /** Its capacity. */
  expected: number;
  /** Its members, sorted. */
  members: string[];
  /** Whether it holds `expected` members (QSEC2's `[ROOM_READY]`). */
  ready: boolean;
}

/** Answer of `POST /rooms/leave`: the room without the leaver. */
export interface RoomLeaveResponse extends RoomState {
  /** True when the leaver was the last member: the room is gone. */
  terminated: boolean;
}

/** Answer of `GET /rooms`. */
export interface RoomListResponse {
  /** The caller's rooms (an operator's: every room). */
  rooms: RoomState[];
}

/**
 * Body of `POST /rooms/key`: the room key of `epoch`, wrapped to a fresh
 * ML-KEM-768 key of the member, as pair keys are (`protocol/key_wrap.ts`).
 */
export interface RoomKeyRequest {
  /** The member asking. */
  device_id: string;
  /** The room. */
  room: string;
  /** The epoch whose key it wants: the current one, else 409. */
  epoch: number;
  /** Base64 ML-KEM-768 encapsulation key, fresh for this request. */
  kem_public_key: string;
}

/**
 * Answer of `POST /rooms/key`. The key is 256 bits from the QKD pool, taken
 * once per room and epoch for all members (ETSI 014's multicast, on the
 * seed-style API); a RED link or an empty pool answer as `/get_session_key`
 * does (HTTP 200 with `error` and `status`).
 */
export interface RoomKeyResponse {
  /** The room. */
  room: string;
  /** The epoch of the key. */
  epoch: number;
  /** The key's id: `room/epoch/...`, the same for every member. */
  key_id: string;
  /** Base64 ML-KEM-768 ciphertext. */
  kem_ciphertext: string;
  /** Base64 wrapped key, bound to `key_id|device_id`. */
  wrapped_key: string;
  /** The link's QBER when the key was issued. */
  qber: number;
  /** The link's status then. */
  status: "GREEN" | "YELLOW";
}

/** An answer of the room API read, or `malformed`. */
export type RoomRead<K extends string, T> =
  | ({ ok: true } & { [key in K]: T })
  | { ok: false; reason: "malformed" };

/** The outcome of {@linkcode readRoomKey}. */
export type RoomKeyRead =
  | { ok: true; key: RoomKeyResponse }
  | {
    ok: false;
    /** The link refused (RED, an empty pool, its worker down). */
    reason: "link_refused";
    /** The sentence to show. */
    message: string;
    /** The link's status. */
    status: LinkStatus;
  }
  | { ok: false; reason: "malformed" };

/**
 * Reads a `RoomState` (`POST /rooms/join`'s answer).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { readRoomState } from "./room_api.ts";
 *
 * const state = {
 *   room: "squad1", epoch: 2, leader: "A", expected: 4,
 *   members: ["A", "B"], ready: false, membership: "x.y",
 * };
 * assertEquals(readRoomState(state), { ok: true, state });
 * assertEquals(readRoomState({ ...state, epoch: -1 }).ok, false);
 * ```
 */
export function readRoomState(body: unknown): RoomRead<"state", RoomState> {
  return isRecord(body) && isRoomState(body)
    ? { ok: true, state: roomStateOf(body) }
    : { ok: false, reason: "malformed" };
}

/** Reads a `RoomLeaveResponse` (`POST /rooms/leave`'s answer). */
export function readRoomLeave(
  body: unknown,
): RoomRead<"state", RoomLeaveResponse> {
  return isRecord(body) && isRoomState(body) &&
      typeof body.terminated === "boolean"
    ? { ok: true, state: { ...roomStateOf(body), terminated: body.terminated } }
    : { ok: false, reason: "malformed" };
}

/** Reads a `RoomListResponse` (`GET /rooms`'s answer). */
export function readRoomList(body: unknown): RoomRead<"rooms", RoomState[]> {
  const rooms = isRecord(body) ? body.rooms : undefined;
  return Array.isArray(rooms) &&
      rooms.every((r) => isRecord(r) && isRoomState(r))
    ? { ok: true, rooms: rooms.map(roomStateOf) }
    : { ok: false, reason: "malformed" };
}

/**
 * Reads `POST /rooms/key`'s HTTP 200 answer: the wrapped key, or the
 * link's refusal (`{error, qber, status}`, with a `message` for an empty
 * pool or a stopped link), as `/get_session_key` sends it.
 */
export function readRoomKey(body: unknown): RoomKeyRead {
  if (!isRecord(body)) return { ok: false, reason: "malformed" };
  if (typeof body.error === "string" && isLinkStatus(body.status)) {
    const message = typeof body.message === "string"
      ? body.message
      : body.error;
    return { ok: false, reason: "link_refused", message, status: body.status };
  }
  if (
    !checkRoomName(body.room).ok || !isCount(body.epoch) ||
    typeof body.key_id !== "string" || body.key_id.length === 0 ||
    body.key_id.length > 200 ||
    !isBase64Of(body.kem_ciphertext, KEM_CIPHERTEXT_LENGTH) ||
    !isBase64Of(body.wrapped_key, WRAPPED_KEY_LENGTH) || !isRatio(body.qber) ||
    (body.status !== "GREEN" && body.status !== "YELLOW")
  ) {
    return { ok: false, reason: "malformed" };
  }
  return {
    ok: true,
    key: {
      room: body.room as string,
      epoch: body.epoch,
      key_id: body.key_id,
      kem_ciphertext: body.kem_ciphertext as string,
      wrapped_key: body.wrapped_key as string,
      qber: body.qber,
      status: body.status,
    },
  };
}

/**
 * Whether `b` holds a {@linkcode RoomSummary}'s fields, each of its type.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { isRoomSummary } from "./room_api.ts";
 *
 * const room = { room: "r", epoch: 1, leader: "A", expected: 2, members: ["A"], ready: false };
 * assertEquals([isRoomSummary(room), isRoomSummary({ ...room, members: ["A", "A"] })], [true, false]);
 * ```
 */
export function isRoomSummary(b: Json): boolean {
  const members = b.members;
  return checkRoomName(b.room).ok && isCount(b.epoch) &&
    isDeviceId(b.leader) && isRoomCapacity(b.expected) &&
    Array.isArray(members) && members.length <= MAX_ROOM_CAPACITY &&
    members.every(isDeviceId) && new Set(members).size === members.length &&
    typeof b.ready === "boolean";
}

function isRoomState(b: Json): boolean {
  return isRoomSummary(b) && typeof b.membership === "string" &&
    b.membership.length <= MAX_MEMBERSHIP_LENGTH;
}

// Field for field, so nothing the KMS added rides along.
function roomStateOf(b: Json): RoomState {
  return {
    room: b.room as string,
    epoch: b.epoch as number,
    leader: b.leader as string,
    expected: b.expected as number,
    members: [...b.members as string[]].sort(),
    ready: b.ready as boolean,
    membership: b.membership as string,
  };
}

function isLinkStatus(value: unknown): value is LinkStatus {
  return value === "GREEN" || value === "YELLOW" || value === "RED";
}

function isBase64Of(value: unknown, length: number): boolean {
  if (typeof value !== "string") return false;
  try {
    return Uint8Array.fromBase64(value).length === length;
  } catch {
    return false;
  }
}
