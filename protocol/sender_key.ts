/**
 * Sender-key chains of squad rooms (Signal's sender-key design): each member
 * makes a random 32-byte chain key `C_0` per room and epoch, hands it to the
 * other members, and derives one message key per line by ratcheting the
 * chain forward with HKDF-SHA256 (RFC 5869), salted with the KMS's room key
 * `R` so that neither the chain key alone nor `R` alone reads a line:
 *
 * - `MK_i = HKDF(ikm = C_i, salt = R, info = "qstcs-room-msg-v1|room|epoch|sender|i")`
 * - `C_{i+1} = HKDF(ikm = C_i, salt = R, info = "qstcs-room-chain-v1")`
 *
 * Each `C_i` is overwritten once `C_{i+1}` is derived and each message key
 * once used, so a device seized later holds no key of a line it already
 * read (forward secrecy inside an epoch, except for `C_0`, see
 * {@linkcode SenderChain.startKey}).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { ReceiverChain, SenderChain } from "./sender_key.ts";
 *
 * const context = {
 *   room: "squad1",
 *   epoch: 3,
 *   sender: "Soldier_Alpha",
 *   roomKey: crypto.getRandomValues(new Uint8Array(32)),
 * };
 * const own = SenderChain.create(context);
 * const theirs = new ReceiverChain(own.startKey(), context);
 * const [first, second] = [own.next(), own.next()];
 * const read = (key: Uint8Array) => key.slice();
 * // Out of order: index 1 first, then the skipped index 0, each once.
 * assertEquals(await theirs.open(1, read), { ok: true, value: second.key });
 * assertEquals(await theirs.open(0, read), { ok: true, value: first.key });
 * assertEquals(await theirs.open(0, read), { ok: false, reason: "used" });
 * ```
 *
 * @module
 */

import { hkdfSha256 } from "../quantum/hkdf.ts";
import { KEY_LENGTH } from "./aes_gcm.ts";

/**
 * Most message keys a receiver keeps for lines not yet arrived (skipped
 * indices), and the furthest ahead of its chain it derives. Signal's
 * Double Ratchet specification (Perrin and Marlinspike, 2016, section 3.2,
 * MAX_SKIP) bounds the same thing so a hostile index costs bounded work.
 */
export const MAX_SKIPPED_KEYS = 2000;

const CHAIN_INFO = "qstcs-room-chain-v1";

/** What a chain belongs to; every field goes into its key derivation. */
export interface ChainContext {
  /** The room's name. */
  room: string;
  /** The room's epoch (`RoomMembership.epoch`). */
  epoch: number;
  /** The member whose chain it is. */
  sender: string;
  /** The KMS's 32-byte room key `R` of this room and epoch. */
  roomKey: Uint8Array;
}

/** One message key and its index in the chain. */
export interface MessageKey {
  /** The line's `seq`. */
  index: number;
  /** 32 bytes for AES-256-GCM; erase it (`fill(0)`) once used. */
  key: Uint8Array;
}

/** Why {@linkcode ReceiverChain.open} found no key. */
export type ChainRefusal =
  /** The index was opened before (a replay or duplicate). */
  | "used"
  /** Its skipped key was dropped to keep at most {@linkcode MAX_SKIPPED_KEYS}. */
  | "too_old"
  /** More than {@linkcode MAX_SKIPPED_KEYS} ahead of the chain. */
  | "too_far"
  /** The key did not open the line (`attempt` returned `null`). */
  | "auth_failed";

/** The outcome of {@linkcode ReceiverChain.open}. */
export type ChainOpen<T> =
  | { ok: true; value: T }
  | { ok: false; reason: ChainRefusal };

/**
 * A member's own chain: each {@linkcode next} gives the next message key.
 *
 * @example
 * ```ts
 * import { assertEquals, assertNotEquals } from "@std/assert";
 * import { SenderChain } from "./sender_key.ts";
 *
 * const chain = SenderChain.create({
 *   room: "squad1",
 *   epoch: 1,
 *   sender: "Soldier_Alpha",
 *   roomKey: new Uint8Array(32),
 * });
 * const [a, b] = [chain.next(), chain.next()];
 * assertEquals([a.index, b.index], [0, 1]);
 * assertNotEquals(a.key, b.key);
 * ```
 */
export class SenderChain {
  readonly #context: ChainContext;
  readonly #start: Uint8Array;
  #chain: Uint8Array;
  #index = 0;

  /** A chain starting at `startKey` (`C_0`, 32 bytes, copied). */
  constructor(startKey: Uint8Array, context: ChainContext) {
    this.#context = checkedContext(startKey, context);
    this.#start = startKey.slice();
    this.#chain = startKey.slice();
  }

  /** A chain from a fresh random `C_0`. */
  static create(context: ChainContext): SenderChain {
    return new SenderChain(
      crypto.getRandomValues(new Uint8Array(KEY_LENGTH)),
      context,
    );
  }

  /**
   * A copy of `C_0`, to hand to members. Kept for the epoch so a member
   * whose hello arrives late (or offline, its lines queued by the relay)
   * still reads every line of the epoch; an epoch ends at every join, leave
   * and link reset, which bounds what a seized device exposes.
   */
  startKey(): Uint8Array {
    return this.#start.slice();
  }

  /** The next index's message key; the chain moves on and forgets `C_i`. */
  next(): MessageKey {
    const index = this.#index;
    const key = messageKey(this.#chain, this.#context, index);
    this.#chain = step(this.#chain, this.#context);
    this.#index = index + 1;
    return { index, key };
  }

  /** Overwrites every key the chain holds; it must not be used after. */
  erase(): void {
    this.#start.fill(0);
    this.#chain.fill(0);
    this.#context.roomKey.fill(0);
  }
}

/**
 * Another member's chain, from the `C_0` it handed over: the key of any
 * index up to {@linkcode MAX_SKIPPED_KEYS} ahead, each index once, lines
 * arriving in any order.
 */
export class ReceiverChain {
  readonly #context: ChainContext;
  #chain: Uint8Array;
  #next = 0;
  // Message keys of skipped indices, oldest first (Map keeps insertion order).
  readonly #skipped = new Map<number, Uint8Array>();
  // Indices below this whose key is not in #skipped were dropped, not used.
  #droppedBelow = 0;
  #queue: Promise<unknown> = Promise.resolve();

  /** The chain of `context.sender` starting at `startKey` (copied). */
  constructor(startKey: Uint8Array, context: ChainContext) {
    this.#context = checkedContext(startKey, context);
    this.#chain = startKey.slice();
  }

  /**
   * Runs `attempt` with the message key of `index` and, only if it returns
   * something other than `null`, consumes the key: a forged or corrupt line
   * neither burns the index nor moves the chain. The key handed to
   * `attempt` is erased when it returns. Calls run one at a time.
   */
  open<T>(
    index: number,
    attempt: (key: Uint8Array) => T | null | Promise<T | null>,
  ): Promise<ChainOpen<T>> {
    const run = this.#queue.then(() => this.#open(index, attempt));
    this.#queue = run.catch(() => {});
    return run;
  }

  /** Overwrites every key the chain holds; it must not be used after. */
  erase(): void {
    this.#chain.fill(0);
    for (const key of this.#skipped.values()) key.fill(0);
    this.#skipped.clear();
    this.#context.roomKey.fill(0);
  }

  async #open<T>(
    index: number,
    attempt: (key: Uint8Array) => T | null | Promise<T | null>,
  ): Promise<ChainOpen<T>> {
    if (!Number.isSafeInteger(index) || index < 0) {
      return { ok: false, reason: "too_far" };
    }
    if (index < this.#next) {
      const key = this.#skipped.get(index);
      if (!key) {
        return {
          ok: false,
          reason: index < this.#droppedBelow ? "too_old" : "used",
        };
      }
      const value = await attemptWith(key.slice(), attempt);
      if (value === null) return { ok: false, reason: "auth_failed" };
      this.#skipped.delete(index);
      key.fill(0);
      return { ok: true, value };
    }
    if (index - this.#next > MAX_SKIPPED_KEYS) {
      return { ok: false, reason: "too_far" };
    }
    // Derived aside and adopted only once the line opens.
    const skipped: [number, Uint8Array][] = [];
    let chain = this.#chain;
    for (let i = this.#next; i < index; i++) {
      skipped.push([i, messageKey(chain, this.#context, i)]);
      chain = stepErasing(chain, this.#chain, this.#context);
    }
    const key = messageKey(chain, this.#context, index);
    const value = await attemptWith(key, attempt);
    if (value === null) {
      for (const [, unused] of skipped) unused.fill(0);
      if (chain !== this.#chain) chain.fill(0);
      return { ok: false, reason: "auth_failed" };
    }
    for (const [i, skippedKey] of skipped) this.#skipped.set(i, skippedKey);
    this.#dropOldest();
    const next = step(chain, this.#context);
    if (chain !== this.#chain) chain.fill(0);
    this.#chain.fill(0);
    this.#chain = next;
    this.#next = index + 1;
    return { ok: true, value };
  }

  #dropOldest(): void {
    for (const [i, key] of this.#skipped) {
      if (this.#skipped.size <= MAX_SKIPPED_KEYS) break;
      key.fill(0);
      this.#skipped.delete(i);
      this.#droppedBelow = Math.max(this.#droppedBelow, i + 1);
    }
  }
}

async function attemptWith<T>(
  key: Uint8Array,
  attempt: (key: Uint8Array) => T | null | Promise<T | null>,
): Promise<T | null> {
  try {
    return await attempt(key);
  } finally {
    key.fill(0);
  }
}

function messageKey(
  chain: Uint8Array,
  context: ChainContext,
  index: number,
): Uint8Array {
  const { room, epoch, sender, roomKey } = context;
  return hkdfSha256(chain, {
    salt: roomKey,
    info: `qstcs-room-msg-v1|${room}|${epoch}|${sender}|${index}`,
    length: KEY_LENGTH,
  });
}

function step(chain: Uint8Array, context: ChainContext): Uint8Array {
  return hkdfSha256(chain, {
    salt: context.roomKey,
    info: CHAIN_INFO,
    length: KEY_LENGTH,
  });
}

// The intermediate chain keys of a look-ahead are erased as it goes; the
// chain's own current key (`keep`) stays until the line is known genuine.
function stepErasing(
  chain: Uint8Array,
  keep: Uint8Array,
  context: ChainContext,
): Uint8Array {
  const next = step(chain, context);
  if (chain !== keep) chain.fill(0);
  return next;
}

function checkedContext(
  startKey: Uint8Array,
  context: ChainContext,
): ChainContext {
  if (startKey.length !== KEY_LENGTH || context.roomKey.length !== KEY_LENGTH) {
    throw new RangeError(
      `chain and room keys must be ${KEY_LENGTH} bytes, got ` +
        `${startKey.length} and ${context.roomKey.length}`,
    );
  }
  return { ...context, roomKey: context.roomKey.slice() };
}
