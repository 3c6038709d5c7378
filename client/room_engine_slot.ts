/**
 * A room as one device holds it across epochs: the current epoch, the
 * previous one (kept for reading only, so lines sealed just before a
 * re-key still arrive) and the frames held until what they need arrives.
 *
 * @module
 */

import type { RoomChatFrame } from "../protocol/mod.ts";
import {
  type EpochServices,
  refused,
  type RoomEpoch,
} from "./room_engine_epoch.ts";
import type { RoomEvent, RoomStatus } from "./room_engine_events.ts";

/** Frames held per room while what they need has not arrived. */
export const MAX_HELD_FRAMES = 256;

/** What a {@linkcode RoomSlot} needs of its device. */
export interface SlotContext {
  /** This device's id. */
  deviceId: string;
  /** What an epoch needs to handle a frame. */
  services(epoch: RoomEpoch): EpochServices;
}

/** What handling a frame reported, and whether held frames may move on. */
export interface Handled {
  events: RoomEvent[];
  progressed: boolean;
}

/** One room's epochs and held frames. */
export class RoomSlot {
  /** The epoch this device sends in. */
  current: RoomEpoch;
  /** The epoch before, for reading only. */
  previous?: RoomEpoch;
  /** Frames waiting, oldest first. */
  held: RoomChatFrame[];

  /** A room starting at `current`, with frames that came before it. */
  constructor(current: RoomEpoch, held: RoomChatFrame[] = []) {
    this.current = current;
    this.held = held;
  }

  /**
   * Moves on to `next`: the current epoch stops sending and becomes the
   * previous (or is erased if it never had its room key); the one before
   * is erased.
   */
  advance(next: RoomEpoch): void {
    this.previous?.erase();
    this.current.retire();
    this.previous = this.current.keyReady ? this.current : undefined;
    if (!this.previous) this.current.erase();
    this.current = next;
  }

  /** Where the room stands for `deviceId`, at the current epoch. */
  status(deviceId: string): RoomStatus {
    const epoch = this.current;
    const { keysIn, answered } = epoch.peers();
    const others = epoch.members.filter((m) => m !== deviceId);
    return {
      room: epoch.room,
      epoch: epoch.epoch,
      members: [...epoch.members],
      keyReady: epoch.sending,
      ...(epoch.keyError ? { keyError: epoch.keyError } : {}),
      keysIn,
      waitingFor: others.filter((m) => !keysIn.includes(m)),
      lackOurs: others.filter((m) => !answered.includes(m)),
      held: this.held.length,
    };
  }

  /** Overwrites every key of the room and drops its frames. */
  erase(): void {
    this.current.erase();
    this.previous?.erase();
    this.held = [];
  }

  /** Handles a frame of another member, then any held frame it unblocks. */
  async receive(
    frame: RoomChatFrame,
    context: SlotContext,
  ): Promise<RoomEvent[]> {
    const handled = await this.#handle(frame, context);
    return handled.progressed
      ? [...handled.events, ...await this.release(context)]
      : handled.events;
  }

  /** Handles held frames again until none of them moves anything on. */
  async release(context: SlotContext): Promise<RoomEvent[]> {
    const events: RoomEvent[] = [];
    for (let progressed = true; progressed && this.held.length > 0;) {
      progressed = false;
      const pending = this.held;
      this.held = [];
      for (const frame of pending) {
        const handled = await this.#handle(frame, context);
        events.push(...handled.events);
        progressed ||= handled.progressed;
      }
    }
    return events;
  }

  // The epoch a frame belongs to; held when it is ahead of this device.
  async #handle(frame: RoomChatFrame, context: SlotContext): Promise<Handled> {
    const { current, previous } = this;
    const hold = (events: RoomEvent[] = []) => ({
      events: [...events, ...holdIn(this.held, frame)],
      progressed: false,
    });
    if (frame.epoch > current.epoch) return hold();
    const epoch = frame.epoch === current.epoch
      ? current
      : frame.epoch === previous?.epoch
      ? previous
      : undefined;
    const outcome = !epoch
      ? refused(frame, "stale_epoch", `frame of past epoch ${frame.epoch}`)
      : !epoch.members.includes(frame.sender)
      ? refused(frame, "not_a_member", `${frame.sender} is not a member`)
      : frame.to !== undefined && frame.to !== context.deviceId
      ? refused(frame, "not_addressed", `frame for ${frame.to}`)
      : await epoch.handle(frame, context.services(epoch));
    return outcome.held ? hold(outcome.events) : outcome;
  }
}

/**
 * Holds `frame` in `held`, dropping (and reporting) the oldest beyond
 * {@linkcode MAX_HELD_FRAMES}.
 */
export function holdIn(
  held: RoomChatFrame[],
  frame: RoomChatFrame,
): RoomEvent[] {
  held.push(frame);
  if (held.length <= MAX_HELD_FRAMES) return [];
  const dropped = held.shift()!;
  return [{
    type: "refused",
    room: dropped.room,
    sender: dropped.sender,
    reason: "held_overflow",
    message: `dropped ${dropped.sender}'s frame ${dropped.id}: ` +
      `${MAX_HELD_FRAMES} frames already wait for keys`,
  }];
}
