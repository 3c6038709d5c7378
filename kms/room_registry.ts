/**
 * Squad rooms' membership and epochs, in SQLite (tables `rooms`,
 * `room_members`): the KMS is the authority on who is in a room. Every
 * change is one synchronous transaction, from the check to the write with
 * no `await` between, so concurrent joins are serialised: each gets its own
 * epoch, and the last one's state holds them all.
 *
 * A room exists while it has members. Its row stays when the last one
 * leaves, so a room made again under the same name goes on from its last
 * epoch: an epoch of a name never comes back, and a relay that keeps the
 * highest epoch it has seen takes the new room's memberships.
 *
 * @module
 */

import type { KmsStore } from "./store.ts";

/**
 * Most rooms one device may be in at once: a squad member needs a few, and
 * a device cannot grow the table (and every operator's room list) at will.
 */
export const MAX_ROOMS_PER_DEVICE = 32;

/** A room as the registry holds it. */
export interface RoomRecord {
  /** The room's name. */
  room: string;
  /** Grows by one at every join, leave, reset and restart. */
  epoch: number;
  /** Its first member (when it leaves, the oldest remaining one). */
  leader: string;
  /** The capacity it was created with. */
  expected: number;
  /** Its members, sorted. */
  members: string[];
}

/** The outcome of {@linkcode RoomRegistry.join}. */
export type RoomJoin =
  | { ok: true; record: RoomRecord; change: "created" | "joined" | "none" }
  | { ok: false; reason: "capacity_required" | "too_many_rooms" }
  | { ok: false; reason: "full"; record: RoomRecord };

/** The outcome of {@linkcode RoomRegistry.leave}. */
export type RoomLeave =
  | { ok: true; record: RoomRecord; terminated: boolean }
  | { ok: false; reason: "no_room" | "not_member" };

interface RoomRow {
  room: string;
  epoch: number;
  leader: string;
  expected: number;
}

/**
 * Rooms and their members.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { RoomRegistry } from "./room_registry.ts";
 * import { KmsStore } from "./store.ts";
 *
 * const store = new KmsStore(":memory:");
 * const rooms = new RoomRegistry(store);
 * rooms.join({ device: "Soldier_Alpha", room: "squad1", expected: 2 });
 * const joined = rooms.join({ device: "Soldier_Bravo", room: "squad1" });
 * assertEquals(joined.ok && joined.record, {
 *   room: "squad1",
 *   epoch: 2,
 *   leader: "Soldier_Alpha",
 *   expected: 2,
 *   members: ["Soldier_Alpha", "Soldier_Bravo"],
 * });
 * const third = rooms.join({ device: "Soldier_Charlie", room: "squad1" });
 * assertEquals(third.ok ? "joined" : third.reason, "full");
 * assertEquals(rooms.bumpAll().map((r) => r.epoch), [3]);
 * store.close();
 * ```
 */
export class RoomRegistry {
  #store: KmsStore;

  /** Works on `store`'s database. */
  constructor(store: KmsStore) {
    this.#store = store;
  }

  /**
   * `request.device` joins `request.room`, creating it with
   * `request.expected` seats when it has no members (its leader then);
   * a member already in gets the room as it is (`change: "none"`).
   */
  join(
    request: { device: string; room: string; expected?: number },
  ): RoomJoin {
    const { device, room, expected } = request;
    return this.#store.batch(() => {
      const row = this.#row(room);
      const members = this.#members(room);
      if (
        !members.includes(device) &&
        this.#roomsOf(device) >= MAX_ROOMS_PER_DEVICE
      ) {
        return { ok: false, reason: "too_many_rooms" };
      }
      if (members.length === 0) {
        if (expected === undefined) {
          return { ok: false, reason: "capacity_required" };
        }
        const epoch = (row?.epoch ?? 0) + 1;
        this.#store.statement(
          `INSERT INTO rooms (room, epoch, leader, expected) VALUES (?, ?, ?, ?)
           ON CONFLICT(room) DO UPDATE SET epoch = excluded.epoch,
             leader = excluded.leader, expected = excluded.expected`,
        ).run(room, epoch, device, expected);
        this.#addMember(room, { device, epoch });
        return { ok: true, record: this.get(room)!, change: "created" };
      }
      const record = recordOf(row!, members);
      if (members.includes(device)) {
        return { ok: true, record, change: "none" };
      }
      if (members.length >= record.expected) {
        return { ok: false, reason: "full", record };
      }
      const epoch = this.#bump(room);
      this.#addMember(room, { device, epoch });
      return { ok: true, record: this.get(room)!, change: "joined" };
    });
  }

  /**
   * `request.device` leaves `request.room`: the room without it at the
   * next epoch, `terminated` (and no members) when it was the last.
   */
  leave(request: { device: string; room: string }): RoomLeave {
    const { device, room } = request;
    return this.#store.batch(() => {
      const members = this.#members(room);
      if (members.length === 0) return { ok: false, reason: "no_room" };
      if (!members.includes(device)) {
        return { ok: false, reason: "not_member" };
      }
      this.#store.statement(
        "DELETE FROM room_members WHERE room = ? AND device = ?",
      ).run(room, device);
      this.#bump(room);
      const rest = members.filter((m) => m !== device);
      if (rest.length > 0 && this.#row(room)!.leader === device) {
        this.#store.statement("UPDATE rooms SET leader = ? WHERE room = ?")
          .run(rest[0], room);
      }
      return {
        ok: true,
        record: recordOf(this.#row(room)!, rest),
        terminated: rest.length === 0,
      };
    });
  }

  /** The room with members named `room`, if any. */
  get(room: string): RoomRecord | undefined {
    const row = this.#row(room);
    const members = this.#members(room);
    return row && members.length > 0 ? recordOf(row, members) : undefined;
  }

  /** Every room with members, by name; only `device`'s when given. */
  list(device?: string): RoomRecord[] {
    const names = device === undefined
      ? this.#store.statement(
        "SELECT DISTINCT room FROM room_members ORDER BY room",
      ).all()
      : this.#store.statement(
        "SELECT room FROM room_members WHERE device = ? ORDER BY room",
      ).all(device);
    return names.map((n) => this.get(n.room as string)!);
  }

  /**
   * Every room with members moves to its next epoch (a link reset, a
   * restart: the room keys of the last epoch are gone); returns them.
   */
  bumpAll(): RoomRecord[] {
    return this.#store.batch(() => {
      this.#store.statement(
        "UPDATE rooms SET epoch = epoch + 1 WHERE room IN (SELECT room FROM room_members)",
      ).run();
      return this.list();
    });
  }

  #row(room: string): RoomRow | undefined {
    return this.#store.statement(
      "SELECT room, epoch, leader, expected FROM rooms WHERE room = ?",
    ).get(room) as RoomRow | undefined;
  }

  /** Members by arrival, oldest first. */
  #members(room: string): string[] {
    return this.#store.statement(
      "SELECT device FROM room_members WHERE room = ? ORDER BY joined_epoch",
    ).all(room).map((r) => r.device as string);
  }

  #roomsOf(device: string): number {
    const row = this.#store.statement(
      "SELECT count(*) AS n FROM room_members WHERE device = ?",
    ).get(device) as { n: number };
    return row.n;
  }

  #addMember(room: string, member: { device: string; epoch: number }): void {
    this.#store.statement(
      "INSERT INTO room_members (room, device, joined_epoch) VALUES (?, ?, ?)",
    ).run(room, member.device, member.epoch);
  }

  #bump(room: string): number {
    const row = this.#store.statement(
      "UPDATE rooms SET epoch = epoch + 1 WHERE room = ? RETURNING epoch",
    ).get(room) as { epoch: number };
    return row.epoch;
  }
}

function recordOf(row: RoomRow, members: string[]): RoomRecord {
  return {
    room: row.room,
    epoch: row.epoch,
    leader: row.leader,
    expected: row.expected,
    members: [...members].sort(),
  };
}
