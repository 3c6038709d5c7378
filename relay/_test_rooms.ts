/**
 * Test helpers for rooms: a stand-in KMS that signs memberships, and the
 * room frames a client sends.
 *
 * @module
 */

import {
  generateIdentity,
  type Identity,
  issueMembership,
} from "../protocol/mod.ts";

/** The fake clock's Unix time in the hub tests, in seconds. */
export const UNIX_NOW = 1_800_000_000;

/** What a membership says, for {@linkcode TestKms.membership}. */
export interface MembershipOptions {
  /** Default "squad1". */
  room?: string;
  epoch: number;
  members: string[];
  /** Seconds before now it was issued. Default 0. */
  age?: number;
  /** Seconds it lasts. Default 3600. */
  lifetime?: number;
  /** Who signs it. Default the KMS. */
  issuer?: Identity;
}

/** A stand-in KMS: its ticket identity, which signs memberships. */
export interface TestKms {
  identity: Identity;
  /** A membership signed now (Unix seconds from `unixNow`). */
  membership(options: MembershipOptions): Promise<string>;
}

/** A stand-in KMS whose clock is `unixNow` (default the real one). */
export async function testKms(
  unixNow: () => number = () => Date.now() / 1000,
): Promise<TestKms> {
  const identity = await generateIdentity();
  return {
    identity,
    membership(options) {
      return issueMembership(options.issuer ?? identity, {
        room: options.room ?? "squad1",
        epoch: options.epoch,
        leader: options.members[0] ?? "nobody",
        expected: 4,
        members: options.members,
        now: unixNow() - (options.age ?? 0),
        lifetimeSeconds: options.lifetime ?? 3600,
      });
    },
  };
}

/** A `room_join` or `room_leave` frame's text. */
export function membershipFrame(
  type: "room_join" | "room_leave",
  membership: string,
  room = "squad1",
): string {
  return JSON.stringify({ type, room, membership });
}

/** A `room_chat` frame's text; its ciphertext, 5ec7e7, must never reach a log. */
export function roomChat(
  sender: string,
  id: string,
  extra: Record<string, unknown> = {},
): string {
  return JSON.stringify({
    type: "room_chat",
    sender,
    room: "squad1",
    epoch: 1,
    kind: "msg",
    id,
    nonce: "11".repeat(12),
    ciphertext: "5ec7e7",
    timestamp: 1700000000,
    seq: 0,
    signature: "51",
    ...extra,
  });
}
