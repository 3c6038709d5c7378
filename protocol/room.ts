/**
 * Squad rooms: their names and capacities, and the KMS's signed membership
 * statement, "room R at epoch E has exactly these members until T". The KMS
 * is the authority on who is in a room; the relay verifies a membership
 * offline with the KMS's ticket key before it fans a room frame out, and
 * members re-key whenever the epoch moves on (every join, leave and reset).
 *
 * A membership is a signed statement (`signed_statement.ts`) under the
 * context {@linkcode MEMBERSHIP_CONTEXT}.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { generateIdentity } from "./identity.ts";
 * import { checkRoomName, issueMembership, verifyMembership } from "./room.ts";
 *
 * assertEquals(checkRoomName("squad-1"), { ok: true, room: "squad-1" });
 * const kms = await generateIdentity();
 * const text = await issueMembership(kms, {
 *   room: "squad-1",
 *   epoch: 3,
 *   leader: "Soldier_Alpha",
 *   expected: 4,
 *   members: ["Soldier_Bravo", "Soldier_Alpha"],
 *   now: 1000,
 *   lifetimeSeconds: 3600,
 * });
 * const checked = await verifyMembership(text, { kmsKey: kms.publicKey, now: 2000 });
 * assertEquals(checked.ok && checked.membership.members, [
 *   "Soldier_Alpha",
 *   "Soldier_Bravo",
 * ]);
 * ```
 *
 * @module
 */

import type { Identity } from "./identity.ts";
import {
  isUnixSeconds,
  readStatement,
  signStatement,
  validityAt,
} from "./signed_statement.ts";
import { isDeviceId } from "./types.ts";

/** The signing context of room memberships. */
export const MEMBERSHIP_CONTEXT = "qstcs-room-membership-v1";
/** Longest room name, in characters. */
export const MAX_ROOM_NAME_LENGTH = 32;
/** Fewest members a room may expect: a room of one is no room. */
export const MIN_ROOM_CAPACITY = 2;
/** Most members a room may expect: a squad is four to twelve. */
export const MAX_ROOM_CAPACITY = 16;
/** Longest accepted membership text (sixteen members of 64 characters fit). */
export const MAX_MEMBERSHIP_LENGTH = 2600;

const ROOM_NAME = /^[A-Za-z0-9_.-]+$/;

/** What a membership says. Times are Unix seconds. */
export interface RoomMembership {
  /** Format version. */
  v: 1;
  /** The room's name. */
  room: string;
  /** Grows by one at every change of members and at every link reset. */
  epoch: number;
  /** The room's first member. */
  leader: string;
  /** The capacity the room was created with. */
  expected: number;
  /** Every member at this epoch, sorted. */
  members: string[];
  /** When the KMS signed it. */
  issued_at: number;
  /** After this it is refused; members fetch a fresh one from the KMS. */
  expires_at: number;
}

/** Why a membership was refused. */
export type MembershipRefusal =
  | "malformed"
  | "bad_signature"
  | "expired"
  | "not_yet_valid";

/** The outcome of {@linkcode verifyMembership}. */
export type MembershipCheck =
  | { ok: true; membership: RoomMembership }
  | { ok: false; reason: MembershipRefusal };

/** The outcome of {@linkcode checkRoomName}: the name, or why it is refused. */
export type RoomNameCheck =
  | { ok: true; room: string }
  | { ok: false; message: string };

/**
 * Checks a room name from a user or the network: 1 to
 * {@linkcode MAX_ROOM_NAME_LENGTH} letters, digits, `_`, `.` or `-`. The
 * refusal is a sentence fit to show as it is.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { checkRoomName } from "./room.ts";
 *
 * assertEquals(checkRoomName("a\u0007b"), {
 *   ok: false,
 *   message: "room name has a control character; use letters, digits, _ . -",
 * });
 * ```
 */
export function checkRoomName(value: unknown): RoomNameCheck {
  if (typeof value !== "string" || value.length === 0) {
    return { ok: false, message: "room name must be a non-empty string" };
  }
  if (value.length > MAX_ROOM_NAME_LENGTH) {
    return {
      ok: false,
      message:
        `room name is ${value.length} characters; at most ${MAX_ROOM_NAME_LENGTH}`,
    };
  }
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(value)) {
    return {
      ok: false,
      message: "room name has a control character; use letters, digits, _ . -",
    };
  }
  if (!ROOM_NAME.test(value)) {
    return {
      ok: false,
      message: "room name may hold only letters, digits, _ . -",
    };
  }
  return { ok: true, room: value };
}

/**
 * Checks an expected capacity: a whole number from
 * {@linkcode MIN_ROOM_CAPACITY} to {@linkcode MAX_ROOM_CAPACITY}.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { isRoomCapacity } from "./room.ts";
 *
 * assertEquals([isRoomCapacity(4), isRoomCapacity(1), isRoomCapacity(2.5)], [
 *   true,
 *   false,
 *   false,
 * ]);
 * ```
 */
export function isRoomCapacity(value: unknown): value is number {
  return Number.isSafeInteger(value) &&
    (value as number) >= MIN_ROOM_CAPACITY &&
    (value as number) <= MAX_ROOM_CAPACITY;
}

/** Signs a membership (the KMS's side); `members` is sorted on the way. */
export function issueMembership(
  kms: Identity,
  options: {
    room: string;
    epoch: number;
    leader: string;
    expected: number;
    members: readonly string[];
    now: number;
    lifetimeSeconds: number;
  },
): Promise<string> {
  const payload: RoomMembership = {
    v: 1,
    room: options.room,
    epoch: options.epoch,
    leader: options.leader,
    expected: options.expected,
    members: [...options.members].sort(),
    issued_at: Math.floor(options.now),
    expires_at: Math.floor(options.now + options.lifetimeSeconds),
  };
  return signStatement(kms, { context: MEMBERSHIP_CONTEXT, payload });
}

/** Checks a membership offline: the KMS's signature and validity at `now`. */
export async function verifyMembership(
  text: unknown,
  options: { kmsKey: Uint8Array; now: number },
): Promise<MembershipCheck> {
  const read = await readStatement(text, {
    context: MEMBERSHIP_CONTEXT,
    kmsKey: options.kmsKey,
    maxLength: MAX_MEMBERSHIP_LENGTH,
    read: readMembership,
  });
  if (!read.ok) return read;
  const membership = read.payload;
  const validity = validityAt(membership, options.now);
  if (validity !== "valid") return { ok: false, reason: validity };
  return { ok: true, membership };
}

function readMembership(m: Record<string, unknown>): RoomMembership | null {
  const members = m.members;
  if (
    m.v !== 1 || !checkRoomName(m.room).ok || !isUnixSeconds(m.epoch) ||
    !isDeviceId(m.leader) || !isRoomCapacity(m.expected) ||
    !Array.isArray(members) || members.length > MAX_ROOM_CAPACITY ||
    !members.every(isDeviceId) || new Set(members).size !== members.length ||
    !isUnixSeconds(m.issued_at) || !isUnixSeconds(m.expires_at)
  ) {
    return null;
  }
  return {
    v: 1,
    room: m.room as string,
    epoch: m.epoch,
    leader: m.leader,
    expected: m.expected,
    members: [...members].sort(),
    issued_at: m.issued_at,
    expires_at: m.expires_at,
  };
}
