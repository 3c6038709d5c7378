/**
 * Anti-replay sliding window (as in IPsec and DTLS) over the sequence numbers
 * of each (sender, key id) stream.
 *
 * @module
 */

/**
 * How many sequence numbers below the highest one seen are still accepted
 * (once each) to tolerate reordering.
 */
export const REPLAY_WINDOW_SIZE = 1024;

/** Options for {@linkcode ReplayGuard}. */
export interface ReplayGuardOptions {
  /**
   * Streams remembered at once; the least recently used is forgotten beyond
   * that. Defaults to 1024.
   */
  maxStreams?: number;
}

interface Stream {
  highest: number;
  // Ring of REPLAY_WINDOW_SIZE bits: bit `seq % REPLAY_WINDOW_SIZE` marks
  // whether `seq` was seen, for seq in (highest - REPLAY_WINDOW_SIZE, highest].
  seen: Uint32Array;
}

/**
 * Remembers which sequence numbers each (sender, key id) stream has used and
 * refuses duplicates and numbers that fell behind the window.
 *
 * Memory is bounded by `maxStreams`. A forgotten stream starts afresh, so
 * size `maxStreams` above the number of live streams: its old packets become
 * replayable once it is evicted.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { ReplayGuard } from "./replay_guard.ts";
 *
 * const guard = new ReplayGuard();
 * const stream = { sender: "Soldier_Alpha", keyId: "k-1" };
 * assertEquals(guard.check(stream, 5), true);
 * assertEquals(guard.check(stream, 5), false);
 * assertEquals(guard.check(stream, 4), true);
 * ```
 */
export class ReplayGuard {
  readonly #maxStreams: number;
  // Map iteration follows insertion order; re-inserting on use keeps the
  // least recently used stream first.
  readonly #streams = new Map<string, Stream>();

  /** Creates a guard that remembers no stream yet. */
  constructor(options: ReplayGuardOptions = {}) {
    const maxStreams = options.maxStreams ?? 1024;
    if (!Number.isSafeInteger(maxStreams) || maxStreams < 1) {
      throw new RangeError(
        `maxStreams must be a positive integer, got ${maxStreams}`,
      );
    }
    this.#maxStreams = maxStreams;
  }

  /** Number of streams currently remembered, at most `maxStreams`. */
  get size(): number {
    return this.#streams.size;
  }

  /**
   * Returns `true` and records `seq` if the stream has not used it and it is
   * within the window; returns `false` otherwise. Call it only for
   * authenticated packets, or forgeries could use up genuine numbers.
   *
   * @throws {RangeError} if `seq` is not a non-negative safe integer.
   */
  check(stream: { sender: string; keyId: string }, seq: number): boolean {
    const { sender, keyId } = stream;
    if (!Number.isSafeInteger(seq) || seq < 0) {
      throw new RangeError(`seq must be a non-negative safe integer: ${seq}`);
    }
    // JSON keeps the pair unambiguous whatever characters the parts contain.
    const name = JSON.stringify([sender, keyId]);
    const known = this.#streams.get(name);
    if (known === undefined) {
      const seen = new Uint32Array(REPLAY_WINDOW_SIZE / 32);
      mark(seen, seq);
      this.#remember(name, { highest: seq, seen });
      return true;
    }
    this.#streams.delete(name);
    this.#streams.set(name, known);
    if (seq > known.highest) {
      advance(known, seq);
      return true;
    }
    if (
      known.highest - seq >= REPLAY_WINDOW_SIZE || isMarked(known.seen, seq)
    ) {
      return false;
    }
    mark(known.seen, seq);
    return true;
  }

  #remember(name: string, stream: Stream): void {
    if (this.#streams.size >= this.#maxStreams) {
      const oldest = this.#streams.keys().next().value as string;
      this.#streams.delete(oldest);
    }
    this.#streams.set(name, stream);
  }
}

// Slides the window up to `seq`, clearing the bits of the numbers it skips
// over since they now stand for numbers not yet seen.
function advance(stream: Stream, seq: number): void {
  if (seq - stream.highest >= REPLAY_WINDOW_SIZE) {
    stream.seen.fill(0);
  } else {
    for (let skipped = stream.highest + 1; skipped < seq; skipped++) {
      const bit = skipped % REPLAY_WINDOW_SIZE;
      stream.seen[bit >>> 5] &= ~(1 << (bit & 31));
    }
  }
  stream.highest = seq;
  mark(stream.seen, seq);
}

function isMarked(seen: Uint32Array, seq: number): boolean {
  const bit = seq % REPLAY_WINDOW_SIZE;
  return (seen[bit >>> 5] & (1 << (bit & 31))) !== 0;
}

function mark(seen: Uint32Array, seq: number): void {
  const bit = seq % REPLAY_WINDOW_SIZE;
  seen[bit >>> 5] |= 1 << (bit & 31);
}
