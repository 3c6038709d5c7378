/**
 * The rooms the relay knows: per room, the KMS's membership of the highest
 * epoch the relay verified (a lower one never replaces it); which device is
 * a member of which rooms; and which rooms owe their online members a
 * `room_presence` frame because a member came or went.
 *
 * Memberships reach the registry only verified (room_routing.ts), so the
 * registry trusts what it is given; it holds no key and no traffic.
 *
 * @module
 */

import {
  type RoomMembership,
  TICKET_CLOCK_SKEW_SECONDS,
} from "../protocol/mod.ts";

/**
 * Rooms the relay keeps at most: each holds one membership (at most 2,600
 * characters), so the bound is about 20 MB; rooms whose membership expired
 * are forgotten.
 */
export const MAX_ROOMS = 4096;

/** A room as the relay keeps it. */
export interface Room {
  /** Its name. */
  readonly name: string;
  /** The newest membership verified. */
  membership: RoomMembership;
  /** That membership as the KMS signed it, for `room_presence` frames. */
  text: string;
}

/** What {@linkcode RoomRegistry.offer} did with a membership. */
export type Offered =
  /** A new room, or a higher epoch: every online member is to be told. */
  | { kind: "stored"; room: Room }
  /** The epoch already held (a later expiry is kept): nothing changed for members. */
  | { kind: "same"; room: Room }
  /** A lower epoch than the one held, which stays. */
  | { kind: "older"; room: Room }
  /** A higher epoch without members: the room is gone. */
  | { kind: "terminated" }
  /** A new room, but the relay holds {@linkcode MAX_ROOMS} already. */
  | { kind: "full" };

/**
 * The rooms, by name and by member.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { RoomRegistry } from "./rooms.ts";
 *
 * const rooms = new RoomRegistry();
 * const at = (epoch: number, members: string[]) => ({
 *   v: 1 as const,
 *   room: "squad1",
 *   epoch,
 *   leader: "a",
 *   expected: 4,
 *   members,
 *   issued_at: 0,
 *   expires_at: 3600,
 * });
 * assertEquals(rooms.offer(at(2, ["a", "b"]), "m2").kind, "stored");
 * assertEquals(rooms.offer(at(1, ["a"]), "m1").kind, "older");
 * assertEquals(rooms.get("squad1")?.text, "m2");
 * rooms.memberChanged("b");
 * assertEquals(rooms.takePending().map((room) => room.name), ["squad1"]);
 * ```
 */
export class RoomRegistry {
  #rooms = new Map<string, Room>();
  #byMember = new Map<string, Set<Room>>();
  #pending = new Set<Room>();
  #maxRooms: number;

  /** An empty registry holding at most `maxRooms` (default {@linkcode MAX_ROOMS}). */
  constructor(options: { maxRooms?: number } = {}) {
    this.#maxRooms = options.maxRooms ?? MAX_ROOMS;
  }

  /** Rooms held. */
  get size(): number {
    return this.#rooms.size;
  }

  /** The room named `name`. */
  get(name: string): Room | undefined {
    return this.#rooms.get(name);
  }

  /**
   * Takes a verified membership if it is newer than the one held: a higher
   * epoch replaces it, the same epoch only extends its expiry.
   */
  offer(membership: RoomMembership, text: string): Offered {
    const room = this.#rooms.get(membership.room);
    if (room && membership.epoch < room.membership.epoch) {
      return { kind: "older", room };
    }
    if (membership.members.length === 0) {
      if (room) this.#forget(room);
      return { kind: "terminated" };
    }
    if (room && membership.epoch === room.membership.epoch) {
      if (membership.expires_at > room.membership.expires_at) {
        this.#set(room, membership, text);
      }
      return { kind: "same", room };
    }
    if (room) {
      this.#set(room, membership, text);
      return { kind: "stored", room };
    }
    if (this.#rooms.size >= this.#maxRooms) return { kind: "full" };
    const created: Room = { name: membership.room, membership, text };
    this.#rooms.set(created.name, created);
    this.#index(created);
    return { kind: "stored", room: created };
  }

  /** Marks the rooms of `deviceId`, which came or went, for presence. */
  memberChanged(deviceId: string): void {
    for (const room of this.#byMember.get(deviceId) ?? []) {
      this.#pending.add(room);
    }
  }

  /** The rooms marked for presence since the last call. */
  takePending(): Room[] {
    const rooms = [...this.#pending];
    this.#pending.clear();
    return rooms;
  }

  /** Whether `room`'s membership has expired at `unixNow` (seconds). */
  isExpired(room: Room, unixNow: number): boolean {
    return room.membership.expires_at + TICKET_CLOCK_SKEW_SECONDS < unixNow;
  }

  /** Forgets every room whose membership has expired; returns how many. */
  expire(unixNow: number): number {
    let expired = 0;
    for (const room of this.#rooms.values()) {
      if (this.isExpired(room, unixNow)) {
        this.#forget(room);
        expired++;
      }
    }
    return expired;
  }

  #set(room: Room, membership: RoomMembership, text: string): void {
    this.#unindex(room);
    room.membership = membership;
    room.text = text;
    this.#index(room);
  }

  #forget(room: Room): void {
    this.#unindex(room);
    this.#rooms.delete(room.name);
    this.#pending.delete(room);
  }

  #index(room: Room): void {
    for (const member of room.membership.members) {
      let rooms = this.#byMember.get(member);
      if (!rooms) this.#byMember.set(member, rooms = new Set());
      rooms.add(room);
    }
  }

  #unindex(room: Room): void {
    for (const member of room.membership.members) {
      const rooms = this.#byMember.get(member)!;
      rooms.delete(room);
      if (rooms.size === 0) this.#byMember.delete(member);
    }
  }
}
