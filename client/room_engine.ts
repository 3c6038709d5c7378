/**
 * The squad-room protocol of one device (Signal's sender keys over the
 * KMS's room key, `protocol/room_seal.ts`), independent of the terminal and
 * of sockets: it is given memberships and frames, and says what happened.
 *
 * Per room it follows the highest epoch the KMS signed: at each new epoch
 * it fetches `R`, makes a fresh sender chain and ML-KEM-768 key pair and
 * broadcasts a hello; it answers every member's hello with its sender key
 * (a `key` frame to that member); it reads each member's lines once its key
 * is in, holding (at most {@linkcode MAX_HELD_FRAMES} per room) frames that
 * came before what they need. The previous epoch is kept for reading only,
 * so lines sealed just before a re-key still arrive; older ones are erased.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { generateIdentity, issueMembership, issueTicket } from "../protocol/mod.ts";
 * import { RoomEngine } from "./room_engine.ts";
 * import type { RoomChatFrame } from "../protocol/mod.ts";
 *
 * const kms = await generateIdentity();
 * const now = Date.now();
 * const roomKey = crypto.getRandomValues(new Uint8Array(32));
 * const wire: RoomChatFrame[] = [];
 * const engine = async (deviceId: string) => {
 *   const identity = await generateIdentity();
 *   const ticket = await issueTicket(kms, {
 *     deviceId, publicKey: identity.publicKey, now: now / 1000, lifetimeSeconds: 600,
 *   });
 *   return new RoomEngine({
 *     deviceId,
 *     identity,
 *     kmsTicketKey: () => kms.publicKey,
 *     ownTicket: () => ticket,
 *     fetchRoomKey: async () => ({ ok: true, key: roomKey.slice(), keyId: "squad1/1/k" }),
 *     send: (frame) => void wire.push(frame),
 *     now: () => now,
 *   });
 * };
 * const [alpha, bravo] = [await engine("Soldier_Alpha"), await engine("Soldier_Bravo")];
 * const membership = await issueMembership(kms, {
 *   room: "squad1", epoch: 1, leader: "Soldier_Alpha", expected: 2,
 *   members: ["Soldier_Alpha", "Soldier_Bravo"], now: now / 1000, lifetimeSeconds: 600,
 * });
 * await alpha.setMembership(membership);
 * await bravo.setMembership(membership);
 * // The relay's part: each frame to the other member, until none is left.
 * const read: string[] = [];
 * const relay = async () => {
 *   for (let frame; (frame = wire.shift());) {
 *     const to = frame.sender === "Soldier_Alpha" ? bravo : alpha;
 *     for (const event of await to.receive(JSON.parse(JSON.stringify(frame)))) {
 *       if (event.type === "message") read.push(new TextDecoder().decode(event.bytes));
 *     }
 *   }
 * };
 * await relay();
 * const sealed = await alpha.seal("squad1", new TextEncoder().encode("Hold position"));
 * if (sealed.ok) wire.push(sealed.frame);
 * await relay();
 * assertEquals(read, ["Hold position"]);
 * assertEquals(bravo.status("squad1")?.keysIn, ["Soldier_Alpha"]);
 * ```
 *
 * @module
 */

import {
  KEY_LENGTH,
  MAX_ROOM_CONTENT_BYTES,
  parseRoomFrame,
  type RoomChatFrame,
  verifyMembership,
  verifyTicket,
} from "../protocol/mod.ts";
import { BoundedMap } from "./bounded.ts";
import {
  type EpochServices,
  type OwnTicket,
  RoomEpoch,
} from "./room_engine_epoch.ts";
import { holdIn, RoomSlot, type SlotContext } from "./room_engine_slot.ts";
import type {
  RoomEngineOptions,
  RoomEvent,
  RoomKeyAnswer,
  RoomSealResult,
  RoomStatus,
} from "./room_engine_events.ts";

export type * from "./room_engine_events.ts";
export { MAX_HELD_FRAMES } from "./room_engine_slot.ts";

/** Rooms not joined yet whose frames are held (they came first). */
export const MAX_WAITING_ROOMS = 4;

/** The room protocol of one device; see the module's example. */
export class RoomEngine {
  readonly #options: RoomEngineOptions;
  readonly #rooms = new Map<string, RoomSlot>();
  readonly #waiting = new BoundedMap<string, RoomChatFrame[]>({
    max: MAX_WAITING_ROOMS,
  });
  #queue: Promise<unknown> = Promise.resolve();
  readonly #context: SlotContext;

  /** An engine with no room yet. */
  constructor(options: RoomEngineOptions) {
    this.#options = options;
    this.#context = {
      deviceId: options.deviceId,
      services: (epoch) => this.#services(epoch),
    };
  }

  /**
   * Takes a membership text (from the KMS or a relay `room_presence`),
   * verified with the KMS's ticket key. A higher epoch than the room's
   * starts it (fetching `R`, sending the hello); a lower or equal one is
   * ignored; one without this device ends the room here (`left`).
   */
  async setMembership(text: string): Promise<RoomEvent[]> {
    const begun = await this.#serial(() => this.#begin(text));
    if (!begun.epoch) return begun.events;
    return [...begun.events, ...await this.#fetchKey(begun.epoch)];
  }

  /** Asks again for the current epoch's room key after it failed. */
  async retryKey(room: string): Promise<RoomEvent[]> {
    const epoch = this.#rooms.get(room)?.current;
    return epoch && !epoch.keyReady ? await this.#fetchKey(epoch) : [];
  }

  /**
   * Handles held frames again in every room: after the soldier trusted a
   * changed identity key (`/trust`), that member's hello goes through.
   */
  recheck(): Promise<RoomEvent[]> {
    return this.#serial(async () => {
      const events = [];
      for (const slot of this.#rooms.values()) {
        events.push(...await slot.release(this.#context));
      }
      return events;
    });
  }

  /** Handles a `room_chat` frame from the relay (any JSON value). */
  receive(value: unknown): Promise<RoomEvent[]> {
    return this.#serial(async () => {
      const read = parseRoomFrame(value);
      if (!read.ok) {
        return [{
          type: "refused",
          reason: read.reason,
          message: read.message,
        }];
      }
      const frame = read.frame;
      if (frame.sender === this.#options.deviceId) return [];
      const slot = this.#rooms.get(frame.room);
      if (!slot) {
        const waiting = this.#waiting.get(frame.room) ?? [];
        this.#waiting.set(frame.room, waiting);
        return holdIn(waiting, frame);
      }
      return await slot.receive(frame, this.#context);
    });
  }

  /**
   * Seals `bytes` as this device's next line in `room` (to every member,
   * or to `to` alone), for the caller to send.
   */
  seal(
    room: string,
    bytes: Uint8Array,
    options: { to?: string } = {},
  ): Promise<RoomSealResult> {
    return this.#serial(async (): Promise<RoomSealResult> => {
      const epoch = this.#rooms.get(room)?.current;
      if (!epoch) {
        return { ok: false, reason: "no_room", message: `not in room ${room}` };
      }
      const { to } = options;
      if (
        to !== undefined &&
        (to === this.#options.deviceId || !epoch.members.includes(to))
      ) {
        return {
          ok: false,
          reason: "not_a_member",
          message: `${to} is not another member of room ${room}`,
        };
      }
      if (bytes.length > MAX_ROOM_CONTENT_BYTES) {
        return {
          ok: false,
          reason: "too_large",
          message: `a room line holds at most ${MAX_ROOM_CONTENT_BYTES} bytes`,
        };
      }
      if (!epoch.sending) {
        return {
          ok: false,
          ...(epoch.keyError ?? {
            reason: "no_key",
            message:
              `room ${room}'s key for epoch ${epoch.epoch} is on its way`,
          }),
        };
      }
      const frame = await epoch.seal(this.#options.identity, bytes, to);
      return { ok: true, frame };
    });
  }

  /** Where `room` stands, or `undefined` when this device is not in it. */
  status(room: string): RoomStatus | undefined {
    return this.#rooms.get(room)?.status(this.#options.deviceId);
  }

  /** The rooms this device is in. */
  rooms(): string[] {
    return [...this.#rooms.keys()];
  }

  /** Erases every key of `room` and drops its held frames. */
  forget(room: string): void {
    this.#rooms.get(room)?.erase();
    this.#rooms.delete(room);
    this.#waiting.delete(room);
  }

  async #begin(
    text: string,
  ): Promise<{ events: RoomEvent[]; epoch?: RoomEpoch }> {
    const kmsKey = this.#options.kmsTicketKey();
    const checked = kmsKey
      ? await verifyMembership(text, { kmsKey, now: this.#nowSeconds() })
      : { ok: false as const, reason: "no KMS ticket key pinned" };
    if (!checked.ok) {
      const message = `membership refused: ${checked.reason}`;
      return {
        events: [{ type: "refused", reason: "bad_membership", message }],
      };
    }
    const membership = checked.membership;
    const { room, epoch } = membership;
    const slot = this.#rooms.get(room);
    if (slot && epoch <= slot.current.epoch) return { events: [] };
    if (!membership.members.includes(this.#options.deviceId)) {
      if (!slot) return { events: [] };
      this.forget(room);
      return { events: [{ type: "left", room, epoch }] };
    }
    const next = new RoomEpoch(membership, this.#options.deviceId);
    if (slot) {
      slot.advance(next);
    } else {
      this.#rooms.set(room, new RoomSlot(next, this.#waiting.get(room)));
      this.#waiting.delete(room);
    }
    const started: RoomEvent = {
      type: "epoch",
      room,
      epoch,
      members: [...membership.members],
    };
    return {
      events: [started, ...await this.#rooms.get(room)!.release(this.#context)],
      epoch: next,
    };
  }

  async #fetchKey(epoch: RoomEpoch): Promise<RoomEvent[]> {
    let answer: RoomKeyAnswer;
    try {
      answer = await this.#options.fetchRoomKey(epoch.room, epoch.epoch);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      answer = { ok: false, reason: "kms_unreachable", message };
    }
    return await this.#serial(() => this.#install(epoch, answer));
  }

  async #install(
    epoch: RoomEpoch,
    answer: RoomKeyAnswer,
  ): Promise<RoomEvent[]> {
    const slot = this.#rooms.get(epoch.room);
    if (slot?.current !== epoch || epoch.keyReady) {
      if (answer.ok) answer.key.fill(0);
      return [];
    }
    const ticket = await this.#ownTicket();
    const unusable = !answer.ok
      ? undefined
      : answer.key.length !== KEY_LENGTH
      ? {
        reason: "bad_room_key",
        message: "the KMS's room key is not 32 bytes",
      }
      : ticket === undefined
      ? {
        reason: "no_ticket",
        message:
          "no valid relay ticket from the KMS: members could not check our frames",
      }
      : undefined;
    if (answer.ok && unusable) {
      answer.key.fill(0);
      answer = { ok: false, ...unusable };
    }
    const { room } = epoch;
    if (!answer.ok) {
      const { reason, message } = answer;
      epoch.keyError = { reason, message };
      return [{
        type: "key_unavailable",
        room,
        epoch: epoch.epoch,
        reason,
        message,
      }];
    }
    epoch.keyError = undefined;
    const hello = await epoch.start(answer.key, {
      identity: this.#options.identity,
      ticket: ticket!,
    });
    this.#options.send(hello);
    const keyEvent: RoomEvent = {
      type: "room_key",
      room,
      epoch: epoch.epoch,
      keyId: answer.keyId,
    };
    return [keyEvent, ...await slot.release(this.#context)];
  }

  #services(epoch: RoomEpoch): EpochServices {
    const { identity, checkPin, send } = this.#options;
    return {
      identity,
      ownTicket: () => this.#ownTicket(),
      kmsKey: this.#options.kmsTicketKey() ?? new Uint8Array(0),
      nowSeconds: this.#nowSeconds(),
      checkPin: checkPin ?? (() => "ok"),
      send: (frame) => {
        if (this.#rooms.get(epoch.room)?.current === epoch) send(frame);
      },
    };
  }

  async #ownTicket(): Promise<OwnTicket | undefined> {
    const text = this.#options.ownTicket();
    const kmsKey = this.#options.kmsTicketKey();
    if (text === undefined || kmsKey === undefined) return undefined;
    const checked = await verifyTicket(text, {
      kmsKey,
      now: this.#nowSeconds(),
      deviceId: this.#options.deviceId,
    });
    return checked.ok
      ? { text, expiresAt: checked.ticket.expires_at }
      : undefined;
  }

  #nowSeconds(): number {
    return (this.#options.now ?? Date.now)() / 1000;
  }

  // One operation at a time, so frames and epochs never interleave.
  #serial<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(operation);
    this.#queue = run.catch(() => {});
    return run;
  }
}
