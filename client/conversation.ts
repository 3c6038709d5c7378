/**
 * Who the client talks to and whether it can: the peer, the end-to-end
 * channel with it, who is online, the relay connection and the link. The
 * client's units read it; the client changes it.
 *
 * @module
 */

import { BoundedMap } from "./bounded.ts";
import type { ChannelAuth } from "./handshake_auth.ts";
import { SecureChannel } from "./secure_channel.ts";

/** Why a line waits in the outbox instead of going out. */
export type HeldReason =
  | "link_red"
  | "relay_down"
  | "peer_key_changed"
  | "no_e2e_key";

/**
 * The state of the conversation.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { Conversation } from "./conversation.ts";
 * const conversation = new Conversation("Soldier_Alpha", "Soldier_Bravo");
 * assertEquals(conversation.heldReason, "relay_down");
 * conversation.linkRed = true;
 * assertEquals(conversation.heldReason, "link_red");
 * ```
 */
export class Conversation {
  /** This device. */
  readonly deviceId: string;
  /** Devices online, as the relay last said. */
  online: string[] = [];
  /** Whether the relay link is registered. */
  connected = false;
  /** Whether the quantum link is RED: nothing is sent or read. */
  linkRed = false;
  /**
   * The squad room typed lines go to, or undefined for the peer
   * (`/to`, `/room`, `/peer`).
   */
  room: string | undefined;
  #peer: string;
  #channel: SecureChannel;
  // The channels with the peers talked to before, kept only to tell them,
  // under their own keys, that their lines were not shown.
  readonly #former = new BoundedMap<string, SecureChannel>({ max: 8 });
  readonly #auth?: ChannelAuth;

  /**
   * Starts a conversation with `peer`, with no keys yet; its channels
   * authenticate handshakes with `options.auth`.
   */
  constructor(
    deviceId: string,
    peer: string,
    options: { auth?: ChannelAuth } = {},
  ) {
    this.deviceId = deviceId;
    this.#peer = peer;
    this.#auth = options.auth;
    this.#channel = this.#newChannel();
  }

  /** The device talked to. */
  get peer(): string {
    return this.#peer;
  }

  /** The end-to-end channel with {@linkcode Conversation.peer}. */
  get channel(): SecureChannel {
    return this.#channel;
  }

  /** Talks to `peer` from now on, over a new channel without keys. */
  switchTo(peer: string): void {
    this.#former.set(this.#peer, this.#channel);
    this.#former.delete(peer);
    this.#peer = peer;
    this.#channel = this.#newChannel();
  }

  /** The channel this client had with `peer` before it switched away. */
  formerChannel(peer: string): SecureChannel | undefined {
    return this.#former.get(peer);
  }

  /** Whether the peer is online. */
  get peerOnline(): boolean {
    return this.online.includes(this.#peer);
  }

  /** Why lines cannot go out now, or `undefined` if they can. */
  get heldReason(): HeldReason | undefined {
    // The link first: while it is RED the relay is not even tried.
    if (this.linkRed) return "link_red";
    if (!this.connected) return "relay_down";
    if (this.#auth?.blocked(this.#peer)) return "peer_key_changed";
    if (this.#channel.sendKeyId === undefined) return "no_e2e_key";
    return undefined;
  }

  /** Whether lines can go out now. */
  get canSend(): boolean {
    return this.heldReason === undefined;
  }

  #newChannel(): SecureChannel {
    return new SecureChannel({
      deviceId: this.deviceId,
      peerId: this.#peer,
      auth: this.#auth,
    });
  }
}
