/**
 * One room at one epoch, as one device holds it: the KMS's room key `R`,
 * this device's fresh ML-KEM-768 key pair and sender chain, and what each
 * other member offered (its certified identity key, its KEM key, its
 * sender chain). Handles one frame at a time for {@linkcode RoomEngine};
 * a frame that needs something not yet here is reported held, not refused.
 *
 * @module
 */

import {
  generateKemKeyPair,
  type Identity,
  KeyWrapError,
  openHello,
  openKey,
  openMessage,
  ReceiverChain,
  type RoomChatFrame,
  type RoomFrameFailure,
  type RoomMembership,
  sealHello,
  sealKey,
  sealMessage,
  SenderChain,
  TICKET_CLOCK_SKEW_SECONDS,
} from "../protocol/mod.ts";
import { BoundedSet } from "./bounded.ts";
import { sameBytes } from "./bytes.ts";
import type { RoomEngineOptions, RoomEvent } from "./room_engine_events.ts";

/** Frame ids remembered per epoch, so a replayed frame is refused. */
export const SEEN_FRAMES = 4096;

/** What handling a frame came to. */
export type FrameOutcome =
  /** It waits for a key, a hello or a trusted key; `events` said once. */
  | { held: true; events?: RoomEvent[] }
  /** It was handled; `progressed` when held frames may now go through. */
  | { held: false; events: RoomEvent[]; progressed: boolean };

/** This device's relay ticket, checked, and when it expires (Unix s). */
export interface OwnTicket {
  text: string;
  expiresAt: number;
}

/** What the epoch needs of its device to handle frames. */
export interface EpochServices {
  identity: Identity;
  ownTicket(): Promise<OwnTicket | undefined>;
  kmsKey: Uint8Array;
  nowSeconds: number;
  checkPin: NonNullable<RoomEngineOptions["checkPin"]>;
  send(frame: RoomChatFrame): void;
}

interface Peer {
  identityKey: Uint8Array;
  kemPublicKey: Uint8Array;
  chain?: ReceiverChain;
  // Its hello changed (it restarted): a new sender key is due.
  expectKey: boolean;
}

const HELD: FrameOutcome = { held: true };

/** A room's state at one epoch. */
export class RoomEpoch {
  /** The room. */
  readonly room: string;
  /** The epoch. */
  readonly epoch: number;
  /** Every member, this device included. */
  readonly members: readonly string[];
  /** Why the room key is not here, when fetching it failed. */
  keyError?: { reason: string; message: string };
  readonly #deviceId: string;
  readonly #kem = generateKemKeyPair();
  readonly #peers = new Map<string, Peer>();
  readonly #seen = new BoundedSet<string>({ max: SEEN_FRAMES });
  // Members whose changed identity key was reported.
  readonly #distrusted = new Set<string>();
  #roomKey?: Uint8Array;
  #own?: SenderChain;
  // When the ticket in this device's last hello expires.
  #helloUntil = 0;

  /** The epoch of `membership`, for `deviceId` (one of its members). */
  constructor(membership: RoomMembership, deviceId: string) {
    this.room = membership.room;
    this.epoch = membership.epoch;
    this.members = membership.members;
    this.#deviceId = deviceId;
  }

  /** Whether `R` is here (frames can be opened). */
  get keyReady(): boolean {
    return this.#roomKey !== undefined;
  }

  /** Whether this device can still send in this epoch. */
  get sending(): boolean {
    return this.#own !== undefined;
  }

  /** Members whose sender key arrived, and those this device answered. */
  peers(): { keysIn: string[]; answered: string[] } {
    const entries = [...this.#peers];
    return {
      keysIn: entries.filter(([, peer]) => peer.chain).map(([id]) => id),
      answered: entries.map(([id]) => id),
    };
  }

  /**
   * Takes `roomKey` (erased with the epoch), starts this device's sender
   * chain and returns its hello, to broadcast.
   */
  async start(
    roomKey: Uint8Array,
    given: { identity: Identity; ticket: OwnTicket },
  ): Promise<RoomChatFrame> {
    this.#roomKey = roomKey;
    this.#own = SenderChain.create(this.#context(this.#deviceId));
    return await this.#sealHello(given.identity, given.ticket);
  }

  /** A line of this device, next in its chain (the epoch must be sending). */
  seal(
    identity: Identity,
    content: Uint8Array,
    to?: string,
  ): Promise<RoomChatFrame> {
    return sealMessage(identity, {
      ...this.#at(),
      messageKey: this.#own!.next(),
      content,
      ...(to === undefined ? {} : { to }),
    });
  }

  /**
   * Ends sending (a newer epoch began): this device's chain is erased, the
   * others' stay so lines sealed just before the change still read.
   */
  retire(): void {
    this.#own?.erase();
    this.#own = undefined;
  }

  /** Overwrites every key of the epoch. */
  erase(): void {
    this.retire();
    this.#roomKey?.fill(0);
    this.#kem.secretKey.fill(0);
    for (const peer of this.#peers.values()) peer.chain?.erase();
    this.#peers.clear();
  }

  /** Handles a parsed frame of this room and epoch from another member. */
  async handle(
    frame: RoomChatFrame,
    services: EpochServices,
  ): Promise<FrameOutcome> {
    if (!this.#roomKey) return HELD;
    const seen = `${frame.sender}|${frame.id}`;
    if (this.#seen.has(seen)) {
      // Hellos are sent again on purpose (to a member that restarted).
      return frame.kind === "hello"
        ? done([], false)
        : refused(frame, "replayed", `frame ${frame.id} came twice`);
    }
    const outcome = frame.kind === "hello"
      ? await this.#onHello(frame, this.#roomKey, services)
      : frame.kind === "key"
      ? await this.#onKey(frame, this.#roomKey)
      : await this.#onMessage(frame);
    if (!outcome.held && !outcome.events.some((e) => e.type === "refused")) {
      this.#seen.add(seen);
    }
    return outcome;
  }

  async #onHello(
    frame: RoomChatFrame,
    roomKey: Uint8Array,
    services: EpochServices,
  ): Promise<FrameOutcome> {
    // A retired epoch sends nothing more, so it owes no one its key.
    if (!this.#own) return done([], false);
    const opened = await openHello(frame, {
      roomKey,
      kmsKey: services.kmsKey,
      now: services.nowSeconds,
    });
    if (!opened.ok) return failed(frame, opened);
    const { identityKey, kemPublicKey } = opened.hello;
    if (await services.checkPin(frame.sender, identityKey) === "changed") {
      // Held, so the hello goes through once the soldier trusts the key.
      if (this.#distrusted.has(frame.sender)) return HELD;
      this.#distrusted.add(frame.sender);
      const said = refused(
        frame,
        "key_changed",
        `${frame.sender}'s identity key changed: compare safety numbers ` +
          `(/verify) before trusting it`,
      );
      return { held: true, events: said.held ? [] : said.events };
    }
    this.#distrusted.delete(frame.sender);
    const known = this.#peers.get(frame.sender);
    if (known && sameBytes(known.kemPublicKey, kemPublicKey)) {
      return done([], false);
    }
    const sameIdentity = known && sameBytes(known.identityKey, identityKey);
    if (known && !sameIdentity) known.chain?.erase();
    const peer: Peer = {
      identityKey,
      kemPublicKey,
      chain: sameIdentity ? known.chain : undefined,
      expectKey: true,
    };
    this.#peers.set(frame.sender, peer);
    // A member that restarted lost this device's hello; one whose hello is
    // dated after that hello's ticket expired refused it (it waited in a
    // queue). Both get a fresh one.
    if (
      known || frame.timestamp > this.#helloUntil + TICKET_CLOCK_SKEW_SECONDS
    ) {
      const ticket = await services.ownTicket();
      if (ticket) {
        services.send(await this.#sealHello(services.identity, ticket));
      }
    }
    const chainKey = this.#own.startKey();
    try {
      services.send(
        await sealKey(services.identity, {
          ...this.#at(),
          to: frame.sender,
          roomKey,
          recipientKemKey: kemPublicKey,
          chainKey,
        }),
      );
    } catch (error) {
      if (!(error instanceof KeyWrapError)) throw error;
      this.#peers.delete(frame.sender);
      return refused(frame, "bad_kem_key", error.message);
    } finally {
      chainKey.fill(0);
    }
    return done([], true);
  }

  async #onKey(
    frame: RoomChatFrame,
    roomKey: Uint8Array,
  ): Promise<FrameOutcome> {
    const peer = this.#peers.get(frame.sender);
    if (!peer) return HELD;
    if (!peer.expectKey) {
      return refused(
        frame,
        "unexpected_key",
        `${frame.sender} sent a second sender key without a new hello`,
      );
    }
    const opened = await openKey(frame, {
      recipient: this.#deviceId,
      identityKey: peer.identityKey,
      roomKey,
      kemSecretKey: this.#kem.secretKey,
    });
    if (!opened.ok) return failed(frame, opened);
    peer.chain?.erase();
    peer.chain = new ReceiverChain(
      opened.chainKey,
      this.#context(frame.sender),
    );
    peer.expectKey = false;
    opened.chainKey.fill(0);
    const ready: RoomEvent = {
      type: "member_ready",
      room: this.room,
      epoch: this.epoch,
      sender: frame.sender,
    };
    return done([ready], true);
  }

  async #onMessage(frame: RoomChatFrame): Promise<FrameOutcome> {
    const peer = this.#peers.get(frame.sender);
    if (!peer?.chain) return HELD;
    const opened = await openMessage(frame, {
      identityKey: peer.identityKey,
      chain: peer.chain,
    });
    if (!opened.ok) {
      // Sealed under the chain the restarted member is about to send.
      if (opened.reason === "auth_failed" && peer.expectKey) return HELD;
      return failed(frame, opened);
    }
    const message: RoomEvent = {
      type: "message",
      room: this.room,
      epoch: this.epoch,
      sender: frame.sender,
      seq: frame.seq,
      id: frame.id,
      timestamp: frame.timestamp,
      ...(frame.to === undefined ? {} : { to: frame.to }),
      bytes: opened.bytes,
    };
    return done([message], false);
  }

  async #sealHello(
    identity: Identity,
    ticket: OwnTicket,
  ): Promise<RoomChatFrame> {
    this.#helloUntil = ticket.expiresAt;
    return await sealHello(identity, {
      ...this.#at(),
      roomKey: this.#roomKey!,
      kemPublicKey: this.#kem.publicKey,
      ticket: ticket.text,
    });
  }

  #at(): { sender: string; room: string; epoch: number } {
    return { sender: this.#deviceId, room: this.room, epoch: this.epoch };
  }

  #context(sender: string) {
    return {
      room: this.room,
      epoch: this.epoch,
      sender,
      roomKey: this.#roomKey!,
    };
  }
}

function done(events: RoomEvent[], progressed: boolean): FrameOutcome {
  return { held: false, events, progressed };
}

/** A refusal of `frame` as an outcome. */
export function refused(
  frame: RoomChatFrame,
  reason: string,
  message: string,
): FrameOutcome {
  return done([{
    type: "refused",
    room: frame.room,
    sender: frame.sender,
    reason,
    message,
  }], false);
}

function failed(frame: RoomChatFrame, failure: RoomFrameFailure): FrameOutcome {
  return refused(frame, failure.reason, failure.message);
}
