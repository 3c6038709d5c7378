/**
 * Exactly-once bookkeeping on the sending side: every typed line and
 * attachment waits here, under its message id, until the peer's encrypted
 * receipt for it arrives. Lines typed while disconnected, while the link is
 * RED or before the hybrid key is ready wait here too.
 *
 * The receiver de-duplicates by message id, so sending an entry again (as
 * a new packet under the current key) is always safe.
 *
 * @module
 */

import type { SavedLine } from "./chat_store.ts";

/** What a user asked to send. */
export type OutboxItem =
  | {
    /** A typed line. */
    kind: "msg";
    /** The line. */
    text: string;
  }
  | {
    /** An attachment. */
    kind: "file";
    /** File name to announce. */
    name: string;
    /** The file's bytes. */
    data: Uint8Array;
    /** A voice note's length in seconds (`/voice`). */
    voice?: number;
  };

/** One unconfirmed message or attachment. */
export interface OutboxEntry {
  /** Message id, the same on every re-send. */
  readonly mid: string;
  /** Device it is addressed to. */
  readonly peer: string;
  /** What to send. */
  readonly item: OutboxItem;
  /** When it was written (milliseconds): the time its packets carry. */
  readonly writtenAt: number;
  /** A line's number among those written to `peer` (1, 2, …). */
  readonly n?: number;
  /** Key id of the last send, if sent. */
  sentUnder?: string;
  /** When it was last sent (milliseconds). */
  sentAt?: number;
  /** True while a send is in progress (an attachment's chunks). */
  sending: boolean;
}

/** Options for {@linkcode Outbox.due}. */
export interface DueOptions {
  /** The key id packets go out under now. */
  keyId: string;
  /** The current time in milliseconds. */
  now: number;
  /** Entries sent under `keyId` this long ago without a receipt are due again. */
  resendAfterMs: number;
}

/**
 * Unconfirmed messages, oldest first.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { Outbox } from "./outbox.ts";
 * const outbox = new Outbox();
 * const entry = outbox.add("Soldier_Bravo", { kind: "msg", text: "hi" });
 * const due = outbox.due("Soldier_Bravo", { keyId: "k+mlkem", now: 0, resendAfterMs: 10_000 });
 * assertEquals(due.length, 1);
 * outbox.confirm(entry.mid);
 * assertEquals(outbox.size(), 0);
 * ```
 */
export class Outbox {
  /**
   * Called after every add (with the entry) and confirm (the chat store
   * saves then).
   */
  onChange?: (added?: OutboxEntry) => void;
  #entries = new Map<string, OutboxEntry>();
  // The last line number given per peer.
  readonly #lineNumbers = new Map<string, number>();

  /** Takes back the lines kept from an earlier run, as they were. */
  restore(lines: SavedLine[], lineNumbers: Record<string, number>): void {
    for (const [peer, n] of Object.entries(lineNumbers)) {
      this.#lineNumbers.set(peer, n);
    }
    for (const line of lines) {
      this.#entries.set(line.mid, {
        mid: line.mid,
        peer: line.peer,
        item: { kind: "msg", text: line.text },
        writtenAt: line.writtenAt,
        ...(line.n === undefined ? {} : { n: line.n }),
        sending: false,
      });
    }
  }

  /** The unconfirmed lines to keep (attachments are not kept). */
  savedLines(): SavedLine[] {
    return [...this.#entries.values()].flatMap((entry) =>
      entry.item.kind === "msg"
        ? [{
          mid: entry.mid,
          peer: entry.peer,
          text: entry.item.text,
          writtenAt: entry.writtenAt,
          ...(entry.n === undefined ? {} : { n: entry.n }),
        }]
        : []
    );
  }

  /** The last line number given per peer. */
  lineNumbers(): Record<string, number> {
    return Object.fromEntries(this.#lineNumbers);
  }

  /** Queues an item for `peer` under a new message id. */
  add(peer: string, item: OutboxItem): OutboxEntry {
    let n: number | undefined;
    if (item.kind === "msg") {
      n = (this.#lineNumbers.get(peer) ?? 0) + 1;
      this.#lineNumbers.set(peer, n);
    }
    const entry: OutboxEntry = {
      mid: crypto.randomUUID(),
      peer,
      item,
      writtenAt: Date.now(),
      ...(n === undefined ? {} : { n }),
      sending: false,
    };
    this.#entries.set(entry.mid, entry);
    this.onChange?.(entry);
    return entry;
  }

  /** Removes the entry a receipt confirms and returns it (if it was here). */
  confirm(mid: string): OutboxEntry | undefined {
    const entry = this.#entries.get(mid);
    if (this.#entries.delete(mid)) this.onChange?.();
    return entry;
  }

  /**
   * Entries for `peer` to send now: never sent under the current key (new,
   * or sent before a re-key), or sent long enough ago without a receipt.
   */
  due(peer: string, options: DueOptions): OutboxEntry[] {
    return this.entries(peer).filter((entry) =>
      !entry.sending &&
      (entry.sentUnder !== options.keyId ||
        options.now - (entry.sentAt ?? 0) >= options.resendAfterMs)
    );
  }

  /** The unconfirmed entry `mid`, if it is one. */
  get(mid: string): OutboxEntry | undefined {
    return this.#entries.get(mid);
  }

  /** Whether `mid` is still unconfirmed. */
  has(mid: string): boolean {
    return this.#entries.has(mid);
  }

  /** Unconfirmed entries, for one peer or all, oldest first. */
  entries(peer?: string): OutboxEntry[] {
    const all = [...this.#entries.values()];
    return peer === undefined
      ? all
      : all.filter((entry) => entry.peer === peer);
  }

  /** Number of unconfirmed entries, for one peer or all. */
  size(peer?: string): number {
    return this.entries(peer).length;
  }
}
