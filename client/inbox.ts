/**
 * Exactly-once on the receiving side: messages and attachments are shown
 * or saved once per message id, however often the sender re-sends them,
 * and every one of them is answered with a receipt.
 *
 * @module
 */

import { Reassembler } from "./attachments.ts";
import { BoundedMap, BoundedSet } from "./bounded.ts";
import { saveDownload } from "./downloads.ts";
import type { ContentPayload, Receipt } from "./payload.ts";

/** Message ids remembered per receiver for de-duplication. */
export const SEEN_MESSAGE_IDS = 10_000;

/** What a received payload amounts to. */
export type InboxEvent =
  | {
    /** A new message to show. */
    kind: "message";
    /** Its message id. */
    mid: string;
    /** Its text. */
    text: string;
    /** The sender's number for it, if it gave one. */
    n?: number;
  }
  | {
    /** An attachment saved. */
    kind: "file_saved";
    /** The name the sender gave. */
    name: string;
    /** Its size in bytes. */
    bytes: number;
    /** Where it was saved. */
    path: string;
    /** A voice note's length in seconds, as its sender said. */
    voice?: number;
  }
  | {
    /** An attachment that could not be taken (too big, inconsistent, unsaveable). */
    kind: "file_failed";
    /** The name the sender gave. */
    name: string;
    /** Why. */
    reason: string;
  }
  | {
    /** The peer confirms `mid`. */
    kind: "receipt";
    /** The confirmed message id. */
    mid: string;
    /** Why the peer did not take it, if it did not. */
    refused?: string;
  }
  | {
    /** The peer talks to another device: `mid` was not shown there. */
    kind: "elsewhere";
    /** The message id. */
    mid: string;
  }
  | {
    /** Nothing to show: a repeat, or a chunk of an unfinished attachment. */
    kind: "nothing";
  };

/** What to do with a received payload. */
export interface InboxOutcome {
  /** What to show. */
  event: InboxEvent;
  /** The receipt to send, if any. */
  receipt?: Receipt;
}

/** Options for {@linkcode Inbox}. */
export interface InboxOptions {
  /** Largest attachment accepted, in bytes. */
  maxFileBytes?: number;
  /** Saves an attachment and returns its path. Default {@linkcode saveDownload}. */
  save?: (
    data: Uint8Array,
    options: { sender: string; name: string },
  ) => Promise<string>;
  /**
   * Messages shown before this run (kept history): a copy sent again gets
   * its receipt and is not shown twice.
   */
  seen?: { sender: string; mid: string }[];
}

/**
 * De-duplicates and takes in what peers send.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { Inbox } from "./inbox.ts";
 * const inbox = new Inbox();
 * const message = { t: "msg" as const, mid: "m-1", text: "hi" };
 * assertEquals((await inbox.receive("Soldier_Alpha", message)).event.kind, "message");
 * const again = await inbox.receive("Soldier_Alpha", message);
 * assertEquals(again.event.kind, "nothing");
 * assertEquals(again.receipt, { t: "receipt", mid: "m-1" });
 * ```
 */
export class Inbox {
  readonly #seen = new BoundedSet<string>({ max: SEEN_MESSAGE_IDS });
  readonly #refusals = new BoundedMap<string, Receipt>({ max: 256 });
  readonly #files: Reassembler;
  readonly #save: NonNullable<InboxOptions["save"]>;

  /** Creates an inbox that has seen only `options.seen`. */
  constructor(options: InboxOptions = {}) {
    this.#files = new Reassembler({ maxFileBytes: options.maxFileBytes });
    this.#save = options.save ?? saveDownload;
    for (const { sender, mid } of options.seen ?? []) {
      this.#seen.add(JSON.stringify([sender, mid]));
    }
  }

  /** Takes a decrypted payload from `sender`. */
  async receive(
    sender: string,
    payload: ContentPayload,
  ): Promise<InboxOutcome> {
    if (payload.t === "receipt") {
      const { mid, refused } = payload;
      return {
        event: refused === undefined
          ? { kind: "receipt", mid }
          : { kind: "receipt", mid, refused },
      };
    }
    if (payload.t === "elsewhere") {
      return { event: { kind: "elsewhere", mid: payload.mid } };
    }
    const mid = payload.mid;
    const seenId = JSON.stringify([sender, mid]);
    // A repeat still gets its receipt: the first one may have been lost.
    if (this.#seen.has(seenId)) {
      return { event: nothing, receipt: this.#refusals.get(seenId) ?? ok(mid) };
    }
    if (payload.t === "msg") {
      this.#seen.add(seenId);
      return {
        event: {
          kind: "message",
          mid,
          text: payload.text,
          ...(payload.n === undefined ? {} : { n: payload.n }),
        },
        receipt: ok(mid),
      };
    }
    const outcome = this.#files.add(sender, payload);
    if (outcome.status === "partial") return { event: nothing };
    // A refused or unsaveable file is answered too, or the sender would
    // send it again for ever; the user sees why it is missing.
    this.#seen.add(seenId);
    if (outcome.status === "rejected") {
      return this.#refuse(seenId, mid, {
        kind: "file_failed",
        name: payload.name,
        reason: outcome.reason,
      });
    }
    try {
      const path = await this.#save(outcome.data, {
        sender,
        name: outcome.name,
      });
      return {
        event: {
          kind: "file_saved",
          name: outcome.name,
          bytes: outcome.data.length,
          path,
          ...(payload.voice === undefined ? {} : { voice: payload.voice }),
        },
        receipt: ok(mid),
      };
    } catch (error) {
      return this.#refuse(seenId, mid, {
        kind: "file_failed",
        name: outcome.name,
        reason: `cannot save: ${(error as Error).message}`,
      });
    }
  }

  // The refusal is kept with the id, so a repeat gets the same answer.
  #refuse(
    seenId: string,
    mid: string,
    event: Extract<InboxEvent, { kind: "file_failed" }>,
  ): InboxOutcome {
    const receipt: Receipt = { t: "receipt", mid, refused: event.reason };
    this.#refusals.set(seenId, receipt);
    return { event, receipt };
  }
}

function ok(mid: string): Receipt {
  return { t: "receipt", mid };
}

const nothing: InboxEvent = { kind: "nothing" };
