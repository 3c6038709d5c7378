/**
 * Store-and-forward for recipients that are offline or not reading: one
 * first-in first-out queue per recipient, bounded in frames, bytes and age,
 * with a bound on the bytes of all queues together, and a share of each of
 * those bounds that one sender's frames may take.
 *
 * @module
 */

import type { RelayLimits } from "./config.ts";

/** A frame waiting for its recipient: a chat frame, or an ack for its sender. */
export interface QueuedFrame {
  /** The frame exactly as received; forwarded unchanged. */
  text: string;
  /** Its size in UTF-8 bytes. */
  bytes: number;
  /** Device to tell what became of it; absent for the relay's own acks. */
  sender?: string;
  /** Message id to acknowledge; frames without one get no ack. */
  id?: string;
  /** When it was queued, in milliseconds. */
  queuedAt: number;
}

/** A frame that waited too long, with the recipient it waited for. */
export interface ExpiredFrame {
  /** Device the frame was addressed to. */
  recipient: string;
  frame: QueuedFrame;
}

/** Why a frame could not be queued. */
export type QueueRefusal = "queue_full" | "queue_bytes" | "relay_full";

/** Bounds of {@linkcode OfflineQueues}. */
export interface OfflineQueueLimits {
  /** Frames waiting per recipient. */
  maxFrames: number;
  /** Bytes waiting per recipient. */
  maxBytes: number;
  /** Bytes waiting for all recipients together. */
  totalBytes: number;
  /** Milliseconds a frame may wait before {@linkcode OfflineQueues.expire} drops it. */
  maxAgeMs: number;
  /**
   * The fraction (0 to 1) of `totalBytes`, and of each recipient's
   * `maxFrames` and `maxBytes`, that frames from one sender may take; at
   * least one frame per recipient. The relay's own acks count for no sender.
   */
  senderShare: number;
}

/** Frames and bytes waiting: a whole queue, or one sender's part of it. */
export interface Held {
  frames: number;
  bytes: number;
}

/**
 * The queue bounds of the relay's settings, for one relay's queues and the
 * cluster's ledger alike.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { DEFAULT_LIMITS } from "./config.ts";
 * import { queueLimits } from "./offline_queue.ts";
 *
 * assertEquals(queueLimits(DEFAULT_LIMITS).maxFrames, DEFAULT_LIMITS.queueMaxFrames);
 * ```
 */
export function queueLimits(limits: RelayLimits): OfflineQueueLimits {
  return {
    maxFrames: limits.queueMaxFrames,
    maxBytes: limits.queueMaxBytes,
    totalBytes: limits.queueTotalBytes,
    maxAgeMs: limits.queueMaxAgeMs,
    senderShare: limits.senderShare,
  };
}

/** The bounds of {@linkcode OfflineQueueLimits} that frames fit within. */
export type FitLimits = Pick<
  OfflineQueueLimits,
  "maxFrames" | "maxBytes" | "totalBytes" | "senderShare"
>;

/**
 * Why a frame of `bytes` does not fit beside what a recipient's queue
 * holds, or `undefined`. The cluster's ledger (queue_ledger.ts) applies the
 * same checks as {@linkcode OfflineQueues}, in the same order.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { queueRefusal } from "./offline_queue.ts";
 *
 * const limits = { maxFrames: 2, maxBytes: 10, totalBytes: 20, senderShare: 1 };
 * assertEquals(queueRefusal(limits, { frames: 2, bytes: 0 }, 1), "queue_full");
 * assertEquals(queueRefusal(limits, { frames: 1, bytes: 8 }, 3), "queue_bytes");
 * assertEquals(queueRefusal(limits, { frames: 1, bytes: 8 }, 2), undefined);
 * ```
 */
export function queueRefusal(
  limits: FitLimits,
  queue: Held,
  bytes: number,
): QueueRefusal | undefined {
  if (queue.frames >= limits.maxFrames) return "queue_full";
  if (queue.bytes + bytes > limits.maxBytes) return "queue_bytes";
  return undefined;
}

/**
 * Why a frame of `bytes` from a sender that holds `held` in a recipient's
 * queue is past the sender's share of that queue, or `undefined`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { heldRefusal } from "./offline_queue.ts";
 *
 * const limits = { maxFrames: 8, maxBytes: 40, totalBytes: 80, senderShare: 0.25 };
 * assertEquals(heldRefusal(limits, undefined, 10), undefined);
 * assertEquals(heldRefusal(limits, { frames: 2, bytes: 2 }, 1), "queue_full");
 * assertEquals(heldRefusal(limits, { frames: 1, bytes: 10 }, 1), "queue_bytes");
 * ```
 */
export function heldRefusal(
  limits: FitLimits,
  held: Held | undefined,
  bytes: number,
): QueueRefusal | undefined {
  if (!held) return undefined;
  const { senderShare, maxFrames, maxBytes } = limits;
  if (held.frames >= Math.max(1, Math.floor(senderShare * maxFrames))) {
    return "queue_full";
  }
  if (held.bytes + bytes > senderShare * maxBytes) return "queue_bytes";
  return undefined;
}

/**
 * Why a frame of `bytes` from a sender that holds `total` bytes in all
 * queues is past its share of them (`relay_full`), or `undefined`: a sender
 * holding nothing always gets one frame in.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { senderRefusal } from "./offline_queue.ts";
 *
 * const limits = { maxFrames: 8, maxBytes: 40, totalBytes: 80, senderShare: 0.25 };
 * assertEquals(senderRefusal(limits, 0, 30), undefined);
 * assertEquals(senderRefusal(limits, 12, 9), "relay_full");
 * assertEquals(senderRefusal(limits, 12, 8), undefined);
 * ```
 */
export function senderRefusal(
  limits: FitLimits,
  total: number,
  bytes: number,
): QueueRefusal | undefined {
  return total > 0 && total + bytes > limits.senderShare * limits.totalBytes
    ? "relay_full"
    : undefined;
}

interface Queue {
  frames: (QueuedFrame | undefined)[];
  head: number;
  bytes: number;
  /** What each sender holds in this queue. */
  bySender: Map<string, Held>;
}

// Taking from the head of an array is linear; a moving head index with an
// occasional compaction keeps long queues cheap to drain.
const COMPACT_AFTER = 1024;

/**
 * Bounded per-recipient queues. A frame that does not fit is refused, never
 * an older one evicted, so that the sender learns at once; a sender past its
 * share gets the same reasons (`queue_full`, `queue_bytes`, `relay_full`)
 * while others' frames still fit.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { OfflineQueues } from "./offline_queue.ts";
 *
 * const queues = new OfflineQueues({
 *   maxFrames: 4,
 *   maxBytes: 1024,
 *   totalBytes: 4096,
 *   maxAgeMs: 60_000,
 *   senderShare: 0.5,
 * });
 * const frame = { text: "{}", bytes: 2, sender: "a", queuedAt: 0 };
 * assertEquals(queues.push("b", frame), undefined);
 * assertEquals(queues.push("b", frame), undefined);
 * assertEquals(queues.push("b", frame), "queue_full");
 * assertEquals(queues.push("b", { ...frame, sender: "c" }), undefined);
 * assertEquals(queues.shift("b")?.text, "{}");
 * assertEquals(queues.size("b"), 2);
 * ```
 */
export class OfflineQueues {
  #limits: OfflineQueueLimits;
  #queues = new Map<string, Queue>();
  #totalBytes = 0;
  #totalFrames = 0;
  #bytesBySender = new Map<string, number>();

  /** Creates empty queues with the given bounds. */
  constructor(limits: OfflineQueueLimits) {
    this.#limits = limits;
  }

  /** Bytes waiting for all recipients. */
  get totalBytes(): number {
    return this.#totalBytes;
  }

  /** Frames waiting for all recipients. */
  get totalFrames(): number {
    return this.#totalFrames;
  }

  /** Frames waiting for `recipient`. */
  size(recipient: string): number {
    const queue = this.#queues.get(recipient);
    return queue ? queue.frames.length - queue.head : 0;
  }

  /** Bytes waiting for `recipient`. */
  bytes(recipient: string): number {
    return this.#queues.get(recipient)?.bytes ?? 0;
  }

  /** Appends a frame, or returns why it does not fit. */
  push(recipient: string, frame: QueuedFrame): QueueRefusal | undefined {
    const limits = this.#limits;
    const queue: Queue = this.#queues.get(recipient) ??
      { frames: [], head: 0, bytes: 0, bySender: new Map() };
    const waiting = queue.frames.length - queue.head;
    const full = queueRefusal(
      limits,
      { frames: waiting, bytes: queue.bytes },
      frame.bytes,
    );
    if (full) return full;
    if (this.#totalBytes + frame.bytes > limits.totalBytes) {
      return "relay_full";
    }
    const { sender } = frame;
    if (sender !== undefined) {
      const refusal = heldRefusal(
        limits,
        queue.bySender.get(sender),
        frame.bytes,
      ) ?? senderRefusal(
        limits,
        this.#bytesBySender.get(sender) ?? 0,
        frame.bytes,
      );
      if (refusal) return refusal;
      const held = queue.bySender.get(sender) ?? { frames: 0, bytes: 0 };
      held.frames++;
      held.bytes += frame.bytes;
      queue.bySender.set(sender, held);
      this.#bytesBySender.set(
        sender,
        (this.#bytesBySender.get(sender) ?? 0) + frame.bytes,
      );
    }
    queue.frames.push(frame);
    queue.bytes += frame.bytes;
    this.#totalBytes += frame.bytes;
    this.#totalFrames++;
    this.#queues.set(recipient, queue);
    return undefined;
  }

  /** Removes and returns the oldest frame for `recipient`. */
  shift(recipient: string): QueuedFrame | undefined {
    const queue = this.#queues.get(recipient);
    if (!queue) return undefined;
    const frame = queue.frames[queue.head] as QueuedFrame;
    queue.frames[queue.head++] = undefined;
    queue.bytes -= frame.bytes;
    if (frame.sender !== undefined) this.#release(queue, frame);
    this.#totalBytes -= frame.bytes;
    this.#totalFrames--;
    if (queue.head === queue.frames.length) {
      this.#queues.delete(recipient);
    } else if (
      queue.head >= COMPACT_AFTER && queue.head * 2 >= queue.frames.length
    ) {
      queue.frames = queue.frames.slice(queue.head);
      queue.head = 0;
    }
    return frame;
  }

  /** Removes and returns every frame queued `maxAgeMs` or more before `now`. */
  expire(now: number): ExpiredFrame[] {
    const expired: ExpiredFrame[] = [];
    const cutoff = now - this.#limits.maxAgeMs;
    // Frames join a queue in time order, so only heads need looking at.
    for (const [recipient, queue] of this.#queues) {
      while (queue.frames[queue.head]!.queuedAt <= cutoff) {
        expired.push({ recipient, frame: this.shift(recipient)! });
        if (!this.#queues.has(recipient)) break;
      }
    }
    return expired;
  }

  #release(queue: Queue, frame: QueuedFrame): void {
    const sender = frame.sender!;
    const held = queue.bySender.get(sender)!;
    if (--held.frames === 0) queue.bySender.delete(sender);
    else held.bytes -= frame.bytes;
    const total = this.#bytesBySender.get(sender)! - frame.bytes;
    if (total === 0) this.#bytesBySender.delete(sender);
    else this.#bytesBySender.set(sender, total);
  }
}
