/**
 * Cluster-wide accounting of the frames waiting in JetStream
 * (jetstream_queue.ts), for the limits the stream cannot enforce itself: a
 * recipient's bytes (`--queue-max-bytes`) and one sender's share
 * (`--sender-share`). It lives in the KV bucket `qstcs_queue_usage`: one key
 * per recipient (frames, bytes, and each sender's part of them) and one per
 * sender (its bytes in all queues). A node reserves a frame's room before it
 * publishes the frame, by compare-and-set on both keys, and gives it back
 * when the stream refuses the frame or when the node wins a frame's delete
 * (drained or expired). The checks are those of {@linkcode OfflineQueues},
 * in the same order, so a cluster refuses with the reasons one relay gives.
 *
 * Usage is counted per generation, the minute a frame was reserved in. A
 * node killed between a reservation and its publish, or between a delete
 * and its release, leaves usage no frame stands for; a generation is
 * dropped once every frame reserved in it must have left the stream (by the
 * stream's own age limit at the latest), so such phantom usage lasts at most
 * `lifetimeMs` plus a generation, however busy the key.
 *
 * A node writes to one key one change at a time: the changes that arrive
 * while a write is on its way go together in the next, at the revision the
 * node wrote last, so that its own frames never conflict with each other
 * and a burst costs a few writes; a conflict with another node reads the key
 * again.
 *
 * @module
 */

import type { KV } from "@nats-io/kv";
import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import { delay } from "../common/std.ts";
import {
  type FitLimits,
  type Held,
  heldRefusal,
  type QueueRefusal,
  queueRefusal,
  senderRefusal,
} from "./offline_queue.ts";
import { subjectToken } from "./subject_token.ts";

/** How long a generation of usage lasts, in milliseconds. */
export const GENERATION_MS = 60_000;
// Compare-and-set rounds lost to other nodes before a frame is refused as
// `unavailable`. A node that writes a key without a break wins most rounds
// (it needs no read): the loser waits a random moment, longer each time, so
// that it finds a gap.
const ATTEMPTS = 30;
const BACKOFF_MS = 2;

/** A frame's part in the ledger: its sender (none for relay acks) and size. */
export interface LedgerFrame {
  sender?: string;
  /** The frame's UTF-8 bytes, the same on reserving and releasing. */
  bytes: number;
}

/** A reservation made, with its generation, or why not. */
export type Reserved =
  | { ok: true; generation: number }
  | { ok: false; reason: QueueRefusal | "unavailable" };

/** How the ledger counts. */
export interface QueueLedgerOptions {
  limits: FitLimits;
  /**
   * The longest a frame may stay in the stream after its reservation:
   * the stream's age limit plus the longest a publish may take.
   */
  lifetimeMs: number;
  /** The clock, in milliseconds since the epoch. */
  now?: () => number;
}

interface RecipientUsage extends Held {
  bySender: Record<string, Held>;
}

// Usage by generation, the generation's number as the key.
type Generations<T> = Record<string, T>;

interface Known<T> {
  revision: number;
  value: Generations<T>;
  fresh: boolean;
}

// Changes `value` in place, or returns why not and leaves it as it was.
type Change<T> = (value: Generations<T>) => QueueRefusal | undefined;

type Outcome = QueueRefusal | "ok" | "unavailable";

interface Queued {
  change: Change<unknown>;
  resolve: (outcome: Outcome) => void;
}

/**
 * The cluster's queue usage on a KV bucket, shared by every node.
 *
 * @example
 * ```ts ignore
 * const ledger = new QueueLedger(kv, { limits, lifetimeMs });
 * const reserved = await ledger.reserve("qstcs.q.Bravo", { sender: "Alpha", bytes: 120 });
 * if (reserved.ok) await ledger.release("qstcs.q.Bravo", { sender: "Alpha", bytes: 120 }, reserved.generation);
 * ```
 */
export class QueueLedger {
  #kv: KV;
  #options: QueueLedgerOptions;
  #now: () => number;
  // Per key, the changes waiting for the write on its way, if one is.
  #pending = new Map<string, Queued[]>();

  /** Counts in `kv` (the bucket `qstcs_queue_usage`). */
  constructor(kv: KV, options: QueueLedgerOptions) {
    this.#kv = kv;
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Reserves room for `frame` in the queue on `subject` (a recipient's
   * queue subject), or returns why it does not fit: `queue_full` or
   * `queue_bytes` for the recipient or the sender's share of it,
   * `relay_full` for the sender's share of all queues, `unavailable` when
   * the bucket does not answer or stays contended.
   */
  async reserve(subject: string, frame: LedgerFrame): Promise<Reserved> {
    const generation = this.#generation();
    const { sender, bytes } = frame;
    const { limits } = this.#options;
    const [forRecipient, forSender] = await Promise.all([
      this.#change<RecipientUsage>(recipientKey(subject), (usage) => {
        const queue = sum(Object.values(usage));
        const held = sender === undefined ? [] : heldBy(usage, sender);
        const refusal = queueRefusal(limits, queue, bytes) ??
          heldRefusal(limits, held.length ? sum(held) : undefined, bytes);
        if (refusal) return refusal;
        const part = usage[generation] ??= {
          frames: 0,
          bytes: 0,
          bySender: {},
        };
        add(part, 1, bytes);
        if (sender !== undefined) {
          add(part.bySender[sender] ??= { frames: 0, bytes: 0 }, 1, bytes);
        }
        return undefined;
      }),
      sender === undefined ? "ok" : this.#change<number>(
        senderKey(sender),
        (usage) => {
          const total = Object.values(usage).reduce((a, b) => a + b, 0);
          const refusal = senderRefusal(limits, total, bytes);
          if (refusal) return refusal;
          usage[generation] = (usage[generation] ?? 0) + bytes;
          return undefined;
        },
      ),
    ]);
    if (forRecipient === "ok" && forSender === "ok") {
      return { ok: true, generation };
    }
    // The half that went through is undone. A definite refusal wins over
    // `unavailable`, the recipient's first, as on one relay.
    if (forRecipient === "ok") {
      await this.#releaseRecipient(subject, frame, generation);
    }
    if (forSender === "ok" && sender !== undefined) {
      await this.#releaseSender(sender, bytes, generation);
    }
    const reasons = [forRecipient, forSender].filter((
      r,
    ): r is QueueRefusal | "unavailable" => r !== "ok");
    return {
      ok: false,
      reason: reasons.find((r) => r !== "unavailable") ?? "unavailable",
    };
  }

  /**
   * Gives back what {@linkcode reserve} took for `frame` in `generation`:
   * the frame left the stream, or the stream refused it. Never throws; a
   * release that fails stays counted until its generation ends.
   */
  async release(
    subject: string,
    frame: LedgerFrame,
    generation: number,
  ): Promise<void> {
    await Promise.all([
      this.#releaseRecipient(subject, frame, generation),
      frame.sender === undefined
        ? undefined
        : this.#releaseSender(frame.sender, frame.bytes, generation),
    ]);
  }

  #generation(): number {
    return Math.floor(this.#now() / GENERATION_MS);
  }

  async #releaseRecipient(
    subject: string,
    { sender, bytes }: LedgerFrame,
    generation: number,
  ): Promise<void> {
    await this.#change<RecipientUsage>(recipientKey(subject), (usage) => {
      const part = usage[generation];
      if (!part) return undefined;
      if (sender !== undefined && part.bySender[sender]) {
        if (take(part.bySender[sender], bytes)) delete part.bySender[sender];
      }
      if (take(part, bytes)) delete usage[generation];
      return undefined;
    });
  }

  async #releaseSender(
    sender: string,
    bytes: number,
    generation: number,
  ): Promise<void> {
    await this.#change<number>(senderKey(sender), (usage) => {
      if (usage[generation] === undefined) return undefined;
      const left = usage[generation] - bytes;
      if (left > 0) usage[generation] = left;
      else delete usage[generation];
      return undefined;
    });
  }

  // Queues `change` for the key. Changes queued while a write to the key
  // is on its way go together in the next write.
  #change<T>(key: string, change: Change<T>): Promise<Outcome> {
    return new Promise((resolve) => {
      const pending = this.#pending.get(key);
      const queued = { change: change as Change<unknown>, resolve };
      if (pending) {
        pending.push(queued);
        return;
      }
      this.#pending.set(key, [queued]);
      this.#flush(key);
    });
  }

  async #flush(key: string): Promise<void> {
    let known: Known<unknown> | undefined;
    for (let batch; (batch = this.#pending.get(key)!).length > 0;) {
      this.#pending.set(key, []);
      let outcomes;
      [outcomes, known] = await this.#write(key, batch, known);
      batch.forEach(({ resolve }, i) => resolve(outcomes[i]));
    }
    this.#pending.delete(key);
  }

  // Applies the batch's changes in order to the key's live generations
  // and writes the result if the key is still at the revision read: the
  // outcome of each, and what the key now holds if known. A refusal is only
  // ever decided on a value just read, never on what this node wrote.
  async #write(
    key: string,
    batch: Queued[],
    last: Known<unknown> | undefined,
  ): Promise<[Outcome[], Known<unknown> | undefined]> {
    let known = last;
    for (let attempt = 0; attempt < ATTEMPTS;) {
      try {
        known ??= await this.#read(key);
        const value = this.#live(known.value);
        const outcomes = batch.map(({ change }) => change(value) ?? "ok");
        if (!known.fresh && outcomes.some((o) => o !== "ok")) {
          known = undefined;
          continue;
        }
        if (!outcomes.includes("ok")) {
          return [outcomes, { ...known, fresh: false }];
        }
        const text = JSON.stringify(value);
        const revision = known.revision === 0
          ? await this.#kv.create(key, text)
          : await this.#kv.update(key, text, known.revision);
        return [outcomes, { revision, value, fresh: false }];
      } catch (error) {
        known = undefined;
        if (!conflict(error)) break;
        await delay(Math.random() * BACKOFF_MS * ++attempt);
      }
    }
    return [batch.map(() => "unavailable"), undefined];
  }

  async #read<T>(key: string): Promise<Known<T>> {
    const entry = await this.#kv.get(key);
    if (!entry) return { revision: 0, value: {}, fresh: true };
    const value = entry.operation === "PUT" ? entry.json<Generations<T>>() : {};
    return { revision: entry.revision, value, fresh: true };
  }

  // Drops the generations whose frames have all left the stream.
  #live<T>(value: Generations<T>): Generations<T> {
    const first = Math.floor(
      (this.#now() - this.#options.lifetimeMs) / GENERATION_MS,
    );
    for (const generation of Object.keys(value)) {
      if (Number(generation) < first) delete value[generation];
    }
    return value;
  }
}

function recipientKey(subject: string): string {
  // The queue subject's last token is the recipient's subject token.
  return `r.${subject.slice(subject.lastIndexOf(".") + 1)}`;
}

function senderKey(sender: string): string {
  return `s.${subjectToken(sender)}`;
}

function heldBy(usage: Generations<RecipientUsage>, sender: string): Held[] {
  return Object.values(usage).flatMap((u) => u.bySender[sender] ?? []);
}

function sum(parts: Held[]): Held {
  const total = { frames: 0, bytes: 0 };
  for (const part of parts) add(total, part.frames, part.bytes);
  return total;
}

function add(held: Held, frames: number, bytes: number): void {
  held.frames += frames;
  held.bytes += bytes;
}

// Takes one frame of `bytes` off `held`; true once nothing is left.
function take(held: Held, bytes: number): boolean {
  add(held, -1, -bytes);
  return held.frames <= 0;
}

function conflict(error: unknown): boolean {
  return error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence ||
      error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown);
}
