/**
 * The receiving side: chat packets from the relay, in arrival order, through
 * the end-to-end channel (fetching the KMS key a packet names, answering
 * handshakes) into the inbox, and the peer's receipts into the outbox.
 *
 * @module
 */

import type { ChatLine } from "./line_order.ts";
import type { ChatPacket } from "../protocol/mod.ts";
import { BoundedSet } from "./bounded.ts";
import type { Conversation } from "./conversation.ts";
import type { Delivery } from "./delivery.ts";
import type { Inbox } from "./inbox.ts";
import type { OutboxEntry } from "./outbox.ts";
import type { Received } from "./channel_results.ts";
import type { SecureChannel } from "./secure_channel.ts";
import type { SessionKeys } from "./session_keys.ts";

/** What receiving reports. */
export type IncomingEvent =
  | {
    /** A packet was refused (`malformed` also for one that did not parse). */
    kind: "packet_refused";
    /** Why. */
    reason: Extract<Received, { kind: "refused" }>["reason"];
  }
  | {
    /** A packet from a device other than the peer; said once per device. */
    kind: "stranger";
    /** Its sender. */
    sender: string;
    /** The peer. */
    peer: string;
  }
  | {
    /** The handshake completed: chat is open. */
    kind: "e2e_ready";
    /** With whom. */
    peer: string;
    /** The KMS key id the hybrid key is derived from. */
    kmsKeyId: string;
  }
  | {
    /** An attachment was saved. */
    kind: "file_saved";
    /** Its file name. */
    name: string;
    /** Its size. */
    bytes: number;
    /** Who sent it. */
    sender: string;
    /** Where it was saved. */
    path: string;
    /** A voice note's length in seconds. */
    voice?: number;
    /** A voice note's number for `/play N`. */
    note?: number;
    /** The room it came in, if it came in one. */
    room?: string;
  }
  | {
    /** An attachment could not be saved. */
    kind: "file_failed";
    /** Its file name. */
    name: string;
    /** Who sent it. */
    sender: string;
    /** Why. */
    reason: string;
    /** The room it came in, if it came in one. */
    room?: string;
  }
  | {
    /** The peer's receipt confirms an entry: it has it. */
    kind: "confirmed";
    /** The peer. */
    sender: string;
    /** The entry, now out of the outbox. */
    entry: OutboxEntry;
  }
  | {
    /** The peer talks to another device and did not show an entry. */
    kind: "peer_elsewhere";
    /** The peer. */
    sender: string;
    /** The entry, kept in the outbox. */
    entry: OutboxEntry;
  }
  | {
    /** The peer's receipt says it refused an entry. */
    kind: "receipt_refused";
    /** The peer. */
    sender: string;
    /** The entry, now out of the outbox. */
    entry: OutboxEntry;
    /** The peer's reason. */
    refused: string;
  }
  | {
    /** Receiving failed in the client's own code. */
    kind: "receive_failed";
    /** The error. */
    error: unknown;
  };

/** Options for {@linkcode Incoming}. */
export interface IncomingOptions {
  /** Who the client talks to. */
  conversation: Conversation;
  /** Fetches the keys packets name. */
  keys: Pick<SessionKeys, "fetch">;
  /** Where content goes. */
  inbox: Inbox;
  /** Where receipts go, and receipts owed are queued. */
  delivery: Pick<
    Delivery,
    "outbox" | "queueReceipt" | "flush" | "peerElsewhere"
  >;
  /** Hands a handshake reply to the relay. */
  send: (packet: ChatPacket) => boolean;
  /** Told of everything but chat lines and receipts. */
  onEvent: (event: IncomingEvent) => void;
  /** A chat line from the peer. */
  onMessage: (sender: string, line: ChatLine) => void;
  /** A receipt came (the outbox shrank). */
  onReceipt: () => void;
}

/**
 * Receives packets one after another.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { Conversation } from "./conversation.ts";
 * import { Delivery } from "./delivery.ts";
 * import { Inbox } from "./inbox.ts";
 * import { Incoming, type IncomingEvent } from "./incoming.ts";
 * import { SecureChannel } from "./secure_channel.ts";
 *
 * const conversation = new Conversation("Soldier_Alpha", "Soldier_Bravo");
 * const events: IncomingEvent[] = [];
 * const incoming = new Incoming({
 *   conversation,
 *   keys: { fetch: () => Promise.resolve(false) },
 *   inbox: new Inbox(),
 *   delivery: new Delivery({
 *     conversation,
 *     send: () => false,
 *     onEvent: () => {},
 *     onError: () => {},
 *   }),
 *   send: () => false,
 *   onEvent: (event) => events.push(event),
 *   onMessage: () => {},
 *   onReceipt: () => {},
 * });
 * const charlie = new SecureChannel({ deviceId: "Soldier_Charlie", peerId: "Soldier_Alpha" });
 * const key = { keyId: "k-1", key: new Uint8Array(32), qber: 0, status: "GREEN" as const };
 * incoming.take((await charlie.adoptKey(key))!);
 * await incoming.settled();
 * assertEquals(events, [
 *   { kind: "stranger", sender: "Soldier_Charlie", peer: "Soldier_Bravo" },
 * ]);
 * ```
 */
export class Incoming {
  readonly #options: IncomingOptions;
  readonly #strangers = new BoundedSet<string>({ max: 64 });
  readonly #toldElsewhere = new BoundedSet<string>({ max: 1024 });
  #queue: Promise<void> = Promise.resolve();

  /** Creates the receiving side. */
  constructor(options: IncomingOptions) {
    this.#options = options;
  }

  /** Receives `packet` after the ones before it. */
  take(packet: ChatPacket): void {
    this.#then(() => this.#receive(packet));
  }

  /** Reports, in order, a chat frame that was not a packet. */
  malformed(): void {
    this.#then(() => this.#refused("malformed"));
  }

  /** Resolves when the packets taken so far are done with. */
  settled(): Promise<void> {
    return this.#queue;
  }

  #then(step: () => void | Promise<void>): void {
    this.#queue = this.#queue.then(step).catch((error) =>
      this.#options.onEvent({ kind: "receive_failed", error })
    );
  }

  #refused(reason: Extract<Received, { kind: "refused" }>["reason"]): void {
    this.#options.onEvent({ kind: "packet_refused", reason });
  }

  async #receive(packet: ChatPacket): Promise<void> {
    const { conversation, keys } = this.#options;
    if (packet.recipient !== conversation.deviceId) return;
    if (packet.sender !== conversation.peer) {
      const former = conversation.formerChannel(packet.sender);
      if (former && !conversation.linkRed) {
        await this.#fromFormer(former, packet);
      }
      if (!this.#strangers.has(packet.sender)) {
        this.#strangers.add(packet.sender);
        this.#options.onEvent({
          kind: "stranger",
          sender: packet.sender,
          peer: conversation.peer,
        });
      }
      return;
    }
    // While the link is RED nothing is read: the sender keeps its lines and
    // sends them again after the re-key.
    if (conversation.linkRed) return;
    const channel = conversation.channel;
    let received = await channel.receive(packet);
    if (received.kind === "need_key") {
      if (!await keys.fetch(channel, received.keyId)) return;
      received = await channel.receive(packet);
    }
    await this.#act(channel, { packet, received });
  }

  async #act(
    channel: SecureChannel,
    step: { packet: ChatPacket; received: Received },
  ): Promise<void> {
    const { packet, received } = step;
    switch (received.kind) {
      case "refused":
        return this.#refused(received.reason);
      case "handshake":
        if (received.reply) this.#options.send(received.reply);
        if (received.established) {
          this.#options.onEvent({
            kind: "e2e_ready",
            peer: channel.peerId,
            kmsKeyId: received.established.split("+")[0],
          });
        }
        for (const held of received.released) {
          await this.#act(channel, {
            packet: held,
            received: await channel.receive(held),
          });
        }
        void this.#options.delivery.flush();
        return;
      case "content":
        return await this.#take(packet, received.payload);
    }
  }

  // A packet from a peer this client switched away from: its receipts and
  // notices still count; its lines are not shown, and it is told so under
  // the key it used, once a line.
  async #fromFormer(channel: SecureChannel, packet: ChatPacket): Promise<void> {
    const received = await channel.receive(packet);
    if (received.kind !== "content") return;
    const { payload } = received;
    if (payload.t === "receipt" || payload.t === "elsewhere") {
      return await this.#take(packet, payload);
    }
    if (this.#toldElsewhere.has(payload.mid)) return;
    this.#toldElsewhere.add(payload.mid);
    const notice = await channel.seal({ t: "elsewhere", mid: payload.mid });
    if (notice) this.#options.send(notice);
  }

  async #take(
    packet: ChatPacket,
    payload: Extract<Received, { kind: "content" }>["payload"],
  ): Promise<void> {
    const { inbox, delivery, onEvent } = this.#options;
    const sender = packet.sender;
    const { event, receipt } = await inbox.receive(sender, payload);
    switch (event.kind) {
      case "message":
        this.#options.onMessage(sender, {
          mid: event.mid,
          text: event.text,
          // The packet's timestamp is authenticated with it (seconds).
          writtenAt: (packet.timestamp ?? Date.now() / 1000) * 1000,
          ...(event.n === undefined ? {} : { n: event.n }),
        });
        break;
      case "file_saved":
        onEvent({ ...event, sender });
        break;
      case "file_failed":
        onEvent({ ...event, sender });
        break;
      case "receipt": {
        const entry = delivery.outbox.confirm(event.mid);
        if (entry) {
          onEvent(
            event.refused === undefined
              ? { kind: "confirmed", sender, entry }
              : {
                kind: "receipt_refused",
                sender,
                entry,
                refused: event.refused,
              },
          );
        }
        this.#options.onReceipt();
        break;
      }
      case "elsewhere": {
        const entry = delivery.peerElsewhere(event.mid);
        if (entry) onEvent({ kind: "peer_elsewhere", sender, entry });
      }
    }
    if (receipt !== undefined) delivery.queueReceipt(receipt);
  }
}
