/**
 * A squad in memory for room engine tests: a fake KMS (memberships signed
 * with a real ticket key, one random room key per epoch, refused to
 * non-members and stale epochs), a fake relay (fan-out to the other
 * members of the current membership, queues for offline ones) and one
 * {@linkcode RoomEngine} per device.
 *
 * @module
 */

import {
  generateIdentity,
  type Identity,
  issueMembership,
  issueTicket,
  type RoomChatFrame,
} from "../protocol/mod.ts";
import {
  RoomEngine,
  type RoomEvent,
  type RoomKeyAnswer,
} from "./room_engine.ts";

/** The fake clock, in milliseconds. */
export const NOW_MS = 1_700_000_000_000;
/** The one room of the squad. */
export const ROOM = "squad1";

/** A device of the squad. */
export interface TestDevice {
  id: string;
  engine: RoomEngine;
  identity: Identity;
  ticket: string;
  /** Everything its engine reported. */
  events: RoomEvent[];
  /** Frames the relay queued while it was offline. */
  queue: RoomChatFrame[];
  online: boolean;
  /** Answers `checkPin`; default `"ok"`. */
  pin: "ok" | "changed";
}

/** The squad: its KMS, relay and devices. */
export class TestSquad {
  readonly devices = new Map<string, TestDevice>();
  /** Every frame the relay carried (what a capture would see). */
  readonly carried: RoomChatFrame[] = [];
  /** The KMS's current epoch and members. */
  epoch = 0;
  members: string[] = [];
  /** The clock of the KMS and every device, in milliseconds. */
  clock = NOW_MS;
  /** Set to a reason to refuse room keys (the link is RED). */
  refuseKeys?: string;
  readonly #wire: { frame: RoomChatFrame; to: string }[] = [];
  readonly #keys = new Map<number, Uint8Array>();
  #kms?: Identity;

  /** A device with an engine; not a member yet. */
  async device(id: string): Promise<TestDevice> {
    this.#kms ??= await generateIdentity();
    const identity = await generateIdentity();
    const device = {
      id,
      identity,
      ticket: "",
      events: [],
      queue: [],
      online: true,
      pin: "ok",
    } as unknown as TestDevice;
    await this.renewTicket(device);
    device.engine = this.#engine(device);
    this.devices.set(id, device);
    return device;
  }

  /** The KMS issues `device` a ticket valid for an hour from now. */
  async renewTicket(device: TestDevice): Promise<void> {
    device.ticket = await issueTicket(this.#kms!, {
      deviceId: device.id,
      publicKey: device.identity.publicKey,
      now: this.clock / 1000,
      lifetimeSeconds: 3600,
    });
  }

  /** `id` restarts: a new engine, same identity, no room state. */
  restart(id: string): TestDevice {
    const device = this.devices.get(id)!;
    device.engine = this.#engine(device);
    return device;
  }

  #engine(device: TestDevice): RoomEngine {
    const kms = this.#kms!;
    return new RoomEngine({
      deviceId: device.id,
      identity: device.identity,
      kmsTicketKey: () => kms.publicKey,
      ownTicket: () => device.ticket,
      fetchRoomKey: (_room, epoch) =>
        Promise.resolve(this.#roomKey(device.id, epoch)),
      send: (frame) => this.route(frame),
      checkPin: () => device.pin,
      now: () => this.clock,
    });
  }

  /** The KMS moves on to the next epoch with `members`; its membership. */
  async rekey(members: string[]): Promise<string> {
    this.epoch += 1;
    this.members = [...members].sort();
    this.#keys.set(this.epoch, crypto.getRandomValues(new Uint8Array(32)));
    return await this.membershipNow();
  }

  /** The current epoch's membership, as the KMS signs it when asked. */
  async membershipNow(): Promise<string> {
    return await issueMembership(this.#kms!, {
      room: ROOM,
      epoch: this.epoch,
      leader: this.members[0],
      expected: 16,
      members: this.members,
      now: this.clock / 1000,
      lifetimeSeconds: 3600,
    });
  }

  /** Gives `membership` to each of `ids` (the relay's `room_presence`). */
  async announce(membership: string, ids: string[]): Promise<void> {
    for (const id of ids) {
      const device = this.devices.get(id)!;
      device.events.push(...await device.engine.setMembership(membership));
    }
  }

  /** The relay's fan-out: to `frame.to`, or every other current member. */
  route(frame: RoomChatFrame): void {
    const copy = JSON.parse(JSON.stringify(frame)) as RoomChatFrame;
    this.carried.push(copy);
    const recipients = frame.to !== undefined
      ? [frame.to]
      : this.members.filter((member) => member !== frame.sender);
    for (const to of recipients) {
      if (this.members.includes(to)) this.#wire.push({ frame: copy, to });
    }
  }

  /** Seals a line of `id` and routes it; throws when the engine refuses. */
  async say(id: string, text: string, to?: string): Promise<RoomChatFrame> {
    const sealed = await this.devices.get(id)!.engine.seal(
      ROOM,
      new TextEncoder().encode(text),
      to === undefined ? {} : { to },
    );
    if (!sealed.ok) throw new Error(`${id}: ${sealed.message}`);
    this.route(sealed.frame);
    return sealed.frame;
  }

  /** Delivers frames until none is left (offline devices queue theirs). */
  async flush(): Promise<void> {
    for (let next; (next = this.#wire.shift());) {
      const device = this.devices.get(next.to)!;
      if (!device.online) {
        device.queue.push(next.frame);
        continue;
      }
      device.events.push(...await device.engine.receive(next.frame));
    }
  }

  /** Delivers only the frames `match` picks; the others stay on the wire. */
  async deliver(
    match: (frame: RoomChatFrame, to: string) => boolean,
  ): Promise<void> {
    const picked = this.#wire.filter(({ frame, to }) => match(frame, to));
    this.#wire.splice(
      0,
      this.#wire.length,
      ...this.#wire.filter((entry) => !picked.includes(entry)),
    );
    for (const { frame, to } of picked) {
      const device = this.devices.get(to)!;
      device.events.push(...await device.engine.receive(frame));
    }
  }

  /** Brings `id` online: its queued frames first, in order. */
  async online(id: string): Promise<void> {
    const device = this.devices.get(id)!;
    device.online = true;
    for (const frame of device.queue.splice(0)) {
      device.events.push(...await device.engine.receive(frame));
    }
  }

  /** The lines `id` read, as `sender: text`. */
  lines(id: string): string[] {
    return this.devices.get(id)!.events.flatMap((event) =>
      event.type === "message"
        ? [`${event.sender}: ${new TextDecoder().decode(event.bytes)}`]
        : []
    );
  }

  /** The reasons of the frames `id` refused. */
  refusals(id: string): string[] {
    return this.devices.get(id)!.events.flatMap((event) =>
      event.type === "refused" ? [event.reason] : []
    );
  }

  /** Whether any frame carried holds `bytes` in clear (raw or encoded). */
  carriedHolds(bytes: Uint8Array): boolean {
    const text = JSON.stringify(this.carried);
    return [
      new TextDecoder().decode(bytes),
      bytes.toHex(),
      bytes.toBase64(),
      bytes.toBase64({ alphabet: "base64url", omitPadding: true }),
    ].some((form) => text.includes(form));
  }

  #roomKey(id: string, epoch: number): RoomKeyAnswer {
    if (this.refuseKeys) {
      return { ok: false, reason: "link_red", message: this.refuseKeys };
    }
    if (!this.members.includes(id)) {
      return { ok: false, reason: "not_a_member", message: `${id} left` };
    }
    if (epoch !== this.epoch) {
      return {
        ok: false,
        reason: "stale_epoch",
        message: `epoch ${epoch} is not current`,
      };
    }
    return {
      ok: true,
      key: this.#keys.get(epoch)!.slice(),
      keyId: `${ROOM}/${epoch}/k`,
    };
  }
}
