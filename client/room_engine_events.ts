/**
 * What a {@linkcode RoomEngine} reports and is given: its events, options
 * and status, typed once for the engine, its epoch state and its users.
 *
 * @module
 */

import type { Identity, RoomChatFrame } from "../protocol/mod.ts";

/** What the engine reports, in the order it happened. */
export type RoomEvent =
  | {
    /** A member's line, opened and authenticated, each one once. */
    type: "message";
    room: string;
    epoch: number;
    sender: string;
    /** The line's index in the sender's chain (its order). */
    seq: number;
    /** The frame id. */
    id: string;
    /** The sender's Unix seconds. */
    timestamp: number;
    /** Set when the line was directed to this device alone (a receipt). */
    to?: string;
    /** The content the sender sealed. */
    bytes: Uint8Array;
  }
  | {
    /** A new epoch began: the membership was accepted. */
    type: "epoch";
    room: string;
    epoch: number;
    members: string[];
  }
  | {
    /**
     * The KMS's room key of the epoch arrived (the client's
     * `[ROOMKEY_DECRYPTED]`): this device's hello went out.
     */
    type: "room_key";
    room: string;
    epoch: number;
    keyId: string;
  }
  | {
    /** No room key (link RED, not a member, no ticket...): nothing is sent. */
    type: "key_unavailable";
    room: string;
    epoch: number;
    reason: string;
    message: string;
  }
  | {
    /** A member's sender key arrived: its lines can be read. */
    type: "member_ready";
    room: string;
    epoch: number;
    sender: string;
  }
  | {
    /** The membership no longer lists this device: the room is forgotten. */
    type: "left";
    room: string;
    epoch: number;
  }
  | {
    /** A frame or membership was refused; the message says why. */
    type: "refused";
    room?: string;
    sender?: string;
    reason: string;
    message: string;
  };

/** The answer of {@linkcode RoomEngineOptions.fetchRoomKey}. */
export type RoomKeyAnswer =
  | { ok: true; key: Uint8Array; keyId: string }
  | { ok: false; reason: string; message: string };

/** What a {@linkcode RoomEngine} is given. */
export interface RoomEngineOptions {
  /** This device's id. */
  deviceId: string;
  /** Its Ed25519 identity, which signs its frames. */
  identity: Identity;
  /** The KMS's ticket key (pinned): verifies memberships and tickets. */
  kmsTicketKey(): Uint8Array | undefined;
  /** This device's current relay ticket, sent in its hellos. */
  ownTicket(): string | undefined;
  /**
   * The KMS's room key `R` of `room` at `epoch`, unwrapped
   * (`POST /rooms/key`). The engine erases it when the epoch ends.
   */
  fetchRoomKey(room: string, epoch: number): Promise<RoomKeyAnswer>;
  /** Sends a hello or key frame to the relay. */
  send(frame: RoomChatFrame): void;
  /**
   * Whether `publicKey` is the identity key pinned for `deviceId` (pinning
   * it on first use), as the pair handshake does; default: no pins.
   */
  checkPin?(
    deviceId: string,
    publicKey: Uint8Array,
  ): "ok" | "changed" | Promise<"ok" | "changed">;
  /** Clock in milliseconds. Default `Date.now`. */
  now?: () => number;
}

/**
 * The outcome of {@linkcode RoomEngine.seal}. A refusal's `reason` is
 * `no_room`, `not_a_member`, `too_large`, `no_key` (the room key is on its
 * way) or the room key's own failure reason (as `fetchRoomKey` gave it,
 * e.g. the link is RED).
 */
export type RoomSealResult =
  | { ok: true; frame: RoomChatFrame }
  | { ok: false; reason: string; message: string };

/** What {@linkcode RoomEngine.status} tells of a room. */
export interface RoomStatus {
  room: string;
  epoch: number;
  members: string[];
  /** Whether the room key is in and this device's hello went out. */
  keyReady: boolean;
  /** Why the room key is not in, when it failed. */
  keyError?: { reason: string; message: string };
  /** Members whose sender key arrived. */
  keysIn: string[];
  /** Members whose sender key has not arrived. */
  waitingFor: string[];
  /** Members that do not have this device's sender key yet (no hello seen). */
  lackOurs: string[];
  /** Frames waiting for a key. */
  held: number;
}
