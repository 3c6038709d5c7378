/**
 * Delivery: the outbox flushed under the current end-to-end key, the
 * relay's acks, the receipts this client owes its peer, and attachments
 * sent a window of chunks at a time.
 *
 * Every entry stays in the outbox until the peer's receipt for it comes;
 * it is sent again after a re-key, and while the peer is online every
 * {@linkcode RESEND_MS} without a receipt.
 *
 * @module
 */

import type { AckFrame, AckStatus, ChatPacket } from "../protocol/mod.ts";
import { splitChunks } from "./attachments.ts";
import { BoundedMap, BoundedSet } from "./bounded.ts";
import type { Conversation } from "./conversation.ts";
import { Outbox, type OutboxEntry } from "./outbox.ts";
import { encodePayload, type Receipt } from "./payload.ts";

/** An unconfirmed line is sent again after this long (peer online). */
export const RESEND_MS = 10_000;
/** Largest encoded message payload: keeps a packet far below 64 KiB. */
export const MAX_MESSAGE_PAYLOAD_BYTES = 24 * 1024;
/** Attachment chunks sent before waiting for the relay's ack of the first. */
const FILE_WINDOW = 4;

/** What delivery reports. */
export type DeliveryEvent =
  | {
    /** The relay acked a packet of an entry (each new state said once). */
    kind: "ack";
    /** What became of the packet. */
    status: AckStatus;
    /** The relay's reason, for `queued` and `dropped`. */
    reason?: string;
    /** The entry the packet carries. */
    entry: OutboxEntry;
  }
  | {
    /** An entry sent under the current key got no receipt; said once. */
    kind: "no_receipt";
    /** The entry. */
    entry: OutboxEntry;
    /** How often it is sent again. */
    everyMs: number;
  };

/** Options for {@linkcode Delivery}. */
export interface DeliveryOptions {
  /** Who to send to, and whether now. */
  conversation: Conversation;
  /** Hands a packet to the relay; false if it did not go out. */
  send: (packet: ChatPacket) => boolean;
  /** Told of acks and missing receipts. */
  onEvent: (event: DeliveryEvent) => void;
  /** A failure of the client's own code. */
  onError: (error: unknown) => void;
}

// What the relay made of a packet of an attachment window; `lost` when the
// connection went before its final ack.
type WindowAck = Exclude<AckStatus, "queued"> | "lost";

interface SentPacket {
  entry: OutboxEntry;
  // Chunks before an attachment's last one report only drops.
  quiet: boolean;
}

/**
 * The sending side of the conversation.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { Conversation } from "./conversation.ts";
 * import { Delivery } from "./delivery.ts";
 * const delivery = new Delivery({
 *   conversation: new Conversation("Soldier_Alpha", "Soldier_Bravo"),
 *   send: () => true,
 *   onEvent: () => {},
 *   onError: (error) => { throw error; },
 * });
 * assertEquals(delivery.queueText("Hold position"), { ok: true });
 * await delivery.flush(); // nothing goes out before the end-to-end key
 * assertEquals(delivery.outbox.size(), 1);
 * ```
 */
export class Delivery {
  /** Every unconfirmed entry, for all peers. */
  readonly outbox: Outbox = new Outbox();
  readonly #options: DeliveryOptions;
  readonly #sent = new BoundedMap<string, SentPacket>({ max: 4096 });
  // The last relay ack shown for each outbox entry.
  readonly #shownAcks = new BoundedMap<string, AckStatus>({ max: 4096 });
  // Outbox entries already reported as waiting long for a receipt.
  readonly #slowReceipts = new BoundedSet<string>({ max: 4096 });
  readonly #windowWaiters = new Map<string, (ack: WindowAck) => void>();
  readonly #receipts = new BoundedMap<string, Receipt>({ max: 1024 });
  #flushing = false;
  #flushAgain = false;

  /** Creates delivery with an empty outbox. */
  constructor(options: DeliveryOptions) {
    this.#options = options;
  }

  /**
   * Puts a typed line in the outbox for the peer, unless it is too long for
   * one packet (then `size` is its encoded size); `dryRun` only checks (a
   * room line, queued by the rooms).
   */
  queueText(
    text: string,
    options: { dryRun?: boolean } = {},
  ): { ok: true } | { ok: false; size: number } {
    const size = encodePayload({ t: "msg", mid: crypto.randomUUID(), text })
      .length;
    if (size > MAX_MESSAGE_PAYLOAD_BYTES) return { ok: false, size };
    if (options.dryRun) return { ok: true };
    this.outbox.add(this.#options.conversation.peer, { kind: "msg", text });
    return { ok: true };
  }

  /** Owes the peer `receipt` and sends it as soon as possible. */
  queueReceipt(receipt: Receipt): void {
    this.#receipts.set(receipt.mid, receipt);
    void this.flush();
  }

  /** Forgets the receipts owed to the previous peer. */
  forgetReceipts(): void {
    this.#receipts.clear();
  }

  /**
   * The peer says it talks to another device and did not show `mid`: the
   * entry stays in the outbox. Returns it the first time, to be said once.
   */
  peerElsewhere(mid: string): OutboxEntry | undefined {
    const entry = this.outbox.get(mid);
    if (!entry || this.#slowReceipts.has(mid)) return undefined;
    // Said instead of the missing receipt.
    this.#slowReceipts.add(mid);
    return entry;
  }

  /** The connection dropped: the acks still awaited never come. */
  connectionLost(): void {
    for (const settle of this.#windowWaiters.values()) settle("lost");
    this.#windowWaiters.clear();
  }

  /** Takes the relay's ack of a packet. */
  onAck(ack: AckFrame): void {
    const { id, status } = ack;
    const final = status !== "queued";
    if (final) {
      this.#windowWaiters.get(id)?.(status);
      this.#windowWaiters.delete(id);
    }
    const sent = this.#sent.get(id);
    if (!sent) return;
    if (final) this.#sent.delete(id);
    const { entry, quiet } = sent;
    const event = { kind: "ack", status, reason: ack.reason, entry } as const;
    if (status === "dropped") return this.#options.onEvent(event);
    // A re-send (after a re-key, or waiting for a receipt) is acked again;
    // the soldier hears of each new state of a line only once.
    if (quiet || this.#shownAcks.get(entry.mid) === status) return;
    this.#shownAcks.set(entry.mid, status);
    this.#options.onEvent(event);
  }

  /** Sends receipts, then every outbox entry that is due. */
  async flush(): Promise<void> {
    if (this.#flushing) {
      this.#flushAgain = true;
      return;
    }
    this.#flushing = true;
    try {
      do {
        this.#flushAgain = false;
        await this.#flushOnce();
      } while (this.#flushAgain);
    } catch (error) {
      this.#options.onError(error);
    } finally {
      this.#flushing = false;
    }
  }

  async #flushOnce(): Promise<void> {
    const { conversation, send } = this.#options;
    const channel = conversation.channel;
    for (const [mid, receipt] of this.#receipts) {
      if (!conversation.canSend) return;
      const packet = await channel.seal(receipt);
      if (!packet || !send(packet)) return;
      this.#receipts.delete(mid);
    }
    const keyId = channel.sendKeyId;
    if (!conversation.canSend || keyId === undefined) return;
    const due = this.outbox.due(conversation.peer, {
      keyId,
      now: Date.now(),
      // Re-sending to an offline peer would only fill the relay's queue.
      resendAfterMs: conversation.peerOnline ? RESEND_MS : Infinity,
    });
    for (const entry of due) {
      if (!conversation.canSend || channel !== conversation.channel) return;
      if (entry.sentUnder === keyId && !this.#slowReceipts.has(entry.mid)) {
        // Sent under this very key and no receipt: the peer may be talking
        // to someone else, or its receipts are lost. Said once a line.
        this.#slowReceipts.add(entry.mid);
        this.#options.onEvent({
          kind: "no_receipt",
          entry,
          everyMs: RESEND_MS,
        });
      }
      if (entry.item.kind === "msg") {
        const packet = await channel.seal({
          t: "msg",
          mid: entry.mid,
          text: entry.item.text,
          ...(entry.n === undefined ? {} : { n: entry.n }),
        }, { writtenAt: entry.writtenAt });
        if (!packet || !send(packet)) return;
        this.#sent.set(packet.id, { entry, quiet: false });
        entry.sentUnder = packet.key_id;
        entry.sentAt = Date.now();
      } else {
        this.#sendFile(entry).catch(this.#options.onError);
      }
    }
  }

  // An attachment's chunks go out a few at a time, each window waiting for
  // the relay's final ack, so a large file does not overflow the relay's
  // queue for the peer.
  async #sendFile(entry: OutboxEntry): Promise<void> {
    if (entry.item.kind !== "file") return;
    const { conversation, send } = this.#options;
    const channel = conversation.channel;
    const { name, data } = entry.item;
    entry.sending = true;
    try {
      const chunks = splitChunks(data);
      const window: Promise<WindowAck>[] = [];
      let keyId: string | undefined;
      for (const [index, chunk] of chunks.entries()) {
        if (!conversation.canSend || channel !== conversation.channel) return;
        // Confirmed or refused meanwhile: the rest would be wasted.
        if (!this.outbox.has(entry.mid)) return;
        const packet = await channel.seal({
          t: "file",
          mid: entry.mid,
          name,
          chunk: index,
          chunks: chunks.length,
          data: chunk.toBase64(),
          ...(entry.item.voice === undefined
            ? {}
            : { voice: entry.item.voice }),
        });
        if (!packet) return;
        const acked = new Promise<WindowAck>((resolve) => {
          this.#windowWaiters.set(packet.id, resolve);
        });
        if (!send(packet)) {
          this.#windowWaiters.delete(packet.id);
          return;
        }
        keyId = packet.key_id;
        this.#sent.set(packet.id, { entry, quiet: index < chunks.length - 1 });
        window.push(acked);
        if (window.length >= FILE_WINDOW && await window.shift() === "lost") {
          return;
        }
      }
      entry.sentUnder = keyId;
      entry.sentAt = Date.now();
    } finally {
      entry.sending = false;
    }
  }
}
