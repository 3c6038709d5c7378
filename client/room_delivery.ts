/**
 * Delivery to a squad room, member by member: room lines wait in the
 * client's one outbox (under the room's address `#ROOM`, so history and
 * `chat.bin` keep them as they keep pair lines) until every member of the
 * current epoch has sent its encrypted receipt. The relay's ack gives the
 * first mark with its member counts, the receipts the second; a member that
 * has not confirmed gets the line again, directed to it, every
 * {@linkcode ROOM_RESEND_MS} while online and after every re-key.
 *
 * @module
 */

import { BoundedMap } from "./bounded.ts";
import type { Outbox, OutboxEntry } from "./outbox.ts";
import type { RoomEvent } from "./room_messages.ts";

/** A room line unconfirmed by a member is sent to it again after this. */
export const ROOM_RESEND_MS = 10_000;

/** The outbox address of a room. */
export function roomAddress(room: string): string {
  return `#${room}`;
}

/** The room of an outbox address, or undefined for a peer's. */
export function addressRoom(address: string): string | undefined {
  return address.startsWith("#") ? address.slice(1) : undefined;
}

/** The relay's ack of a room frame (`protocol/room_frames.ts`'s counts). */
export interface RoomAck {
  /** The frame id. */
  id: string;
  /** What became of it. */
  status: "delivered" | "queued" | "dropped";
  /** Members handed it. */
  delivered?: number;
  /** Members it was queued for. */
  queued?: number;
  /** Why it was dropped. */
  reason?: string;
}

interface Sending {
  entry: OutboxEntry;
  room: string;
}

// A member's state for one line: when it was last sent the line, and under
// which epoch.
interface SentTo {
  epoch: number;
  at: number;
}

/**
 * Which member still owes a receipt for which room line, and what to say
 * when the relay acks and the members confirm.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { Outbox } from "./outbox.ts";
 * import { RoomDelivery, roomAddress } from "./room_delivery.ts";
 * const outbox = new Outbox();
 * const said: string[] = [];
 * const delivery = new RoomDelivery({ outbox, say: (event) => said.push(event.kind) });
 * const entry = outbox.add(roomAddress("squad1"), { kind: "msg", text: "Move out" });
 * const members = ["Soldier_Bravo", "Soldier_Charlie"];
 * assertEquals(delivery.due("squad1", { epoch: 4, members, now: 0 })[0].to, members);
 * delivery.sent("f-1", { entry, room: "squad1", to: members, epoch: 4, now: 0 });
 * delivery.onAck({ id: "f-1", status: "delivered", delivered: 2, queued: 0 });
 * delivery.onReceipt("squad1", "Soldier_Bravo", entry.mid, members);
 * assertEquals(delivery.unconfirmed("squad1", members)[0].waiting, ["Soldier_Charlie"]);
 * delivery.onReceipt("squad1", "Soldier_Charlie", entry.mid, members);
 * assertEquals([said, outbox.size()], [["room_ack", "room_confirmed"], 0]);
 * ```
 */
export class RoomDelivery {
  readonly #outbox: Outbox;
  readonly #say: (event: RoomEvent) => void;
  readonly #frames = new BoundedMap<string, Sending>({ max: 4096 });
  // Per line: the members that confirmed it.
  readonly #confirmed = new Map<string, Set<string>>();
  // Per line and member: its last send.
  readonly #sentTo = new Map<string, Map<string, SentTo>>();
  readonly #acked = new Set<string>();

  /** Delivery over the client's `outbox`, telling `say`. */
  constructor(options: { outbox: Outbox; say: (event: RoomEvent) => void }) {
    this.#outbox = options.outbox;
    this.#say = options.say;
  }

  /**
   * The lines of `room` due now, each with the members to send it to:
   * every member not yet sent it under this epoch, or sent it
   * {@linkcode ROOM_RESEND_MS} ago without its receipt while `online` (a
   * repeat to an offline member would only fill its queue at the relay).
   * `members` are the other members of the epoch.
   */
  due(
    room: string,
    options: {
      epoch: number;
      members: readonly string[];
      online?: ReadonlySet<string>;
      now: number;
    },
  ): { entry: OutboxEntry; to: string[] }[] {
    return this.#outbox.entries(roomAddress(room)).flatMap((entry) => {
      if (entry.sending) return [];
      const confirmed = this.#confirmed.get(entry.mid);
      const sent = this.#sentTo.get(entry.mid);
      const to = options.members.filter((member) => {
        if (confirmed?.has(member)) return false;
        const last = sent?.get(member);
        return last === undefined || last.epoch !== options.epoch ||
          (options.online?.has(member) !== false &&
            options.now - last.at >= ROOM_RESEND_MS);
      });
      return to.length > 0 ? [{ entry, to }] : [];
    });
  }

  /** Records that frame `id` carries `entry` to `to`. */
  sent(
    id: string,
    options: {
      entry: OutboxEntry;
      room: string;
      to: readonly string[];
      epoch: number;
      now: number;
    },
  ): void {
    const { entry, room } = options;
    this.#frames.set(id, { entry, room });
    let sent = this.#sentTo.get(entry.mid);
    if (!sent) this.#sentTo.set(entry.mid, sent = new Map());
    for (const member of options.to) {
      sent.set(member, { epoch: options.epoch, at: options.now });
    }
    entry.sentAt = options.now;
  }

  /** Takes the relay's ack of a room frame; false if it was not one. */
  onAck(ack: RoomAck): boolean {
    const sending = this.#frames.get(ack.id);
    if (!sending) return false;
    this.#frames.delete(ack.id);
    const { entry, room } = sending;
    // A line is acked once to the soldier; a re-send to one member is quiet
    // unless dropped.
    if (ack.status !== "dropped" && this.#acked.has(entry.mid)) return true;
    if (ack.status !== "dropped") this.#acked.add(entry.mid);
    this.#say({
      kind: "room_ack",
      room,
      entry,
      status: ack.status,
      delivered: ack.delivered ?? 0,
      queued: ack.queued ?? 0,
      ...(ack.reason === undefined ? {} : { reason: ack.reason }),
    });
    return true;
  }

  /**
   * `member` confirms `mid`; once every one of `members` (the others of the
   * current epoch) has, the line leaves the outbox.
   */
  onReceipt(
    room: string,
    member: string,
    mid: string,
    members: readonly string[],
  ): void {
    const entry = this.#outbox.get(mid);
    if (!entry || entry.peer !== roomAddress(room)) return;
    let confirmed = this.#confirmed.get(mid);
    if (!confirmed) this.#confirmed.set(mid, confirmed = new Set());
    confirmed.add(member);
    this.#settle(room, entry, members);
  }

  /**
   * The members changed (a leave): lines confirmed by every remaining
   * member leave the outbox.
   */
  membersChanged(room: string, members: readonly string[]): void {
    for (const entry of this.#outbox.entries(roomAddress(room))) {
      if (this.#confirmed.has(entry.mid)) this.#settle(room, entry, members);
    }
  }

  /** The unconfirmed lines of `room` and the members they still wait for. */
  unconfirmed(
    room: string,
    members: readonly string[],
  ): { entry: OutboxEntry; waiting: string[] }[] {
    return this.#outbox.entries(roomAddress(room)).map((entry) => ({
      entry,
      waiting: members.filter((member) =>
        !this.#confirmed.get(entry.mid)?.has(member)
      ),
    }));
  }

  /** Drops every line of a room left; returns how many. */
  drop(room: string): number {
    const entries = this.#outbox.entries(roomAddress(room));
    for (const entry of entries) this.#forget(entry.mid);
    return entries.length;
  }

  #settle(room: string, entry: OutboxEntry, members: readonly string[]): void {
    const confirmed = this.#confirmed.get(entry.mid);
    if (!members.every((member) => confirmed?.has(member))) return;
    this.#forget(entry.mid);
    this.#say({
      kind: "room_confirmed",
      room,
      entry,
      count: confirmed?.size ?? 0,
    });
  }

  #forget(mid: string): void {
    this.#outbox.confirm(mid);
    this.#confirmed.delete(mid);
    this.#sentTo.delete(mid);
    this.#acked.delete(mid);
  }
}
