/**
 * The key pool: the secret bits the link's blocks distilled, waiting for key
 * requests. Each block's bits are sealed at rest under the master key
 * (AES-256-GCM, as undelivered ETSI keys are) in the `key_pool` table, and
 * kept in memory in clear so that a take is synchronous: the level check
 * and the consumption happen with no `await` between them, so concurrent
 * requests can never receive the same bits or more bits than the pool
 * holds. What a take consumes is written to the database before the bits
 * leave, so a restart never hands them out again.
 *
 * @module
 */

import type { PoolChange, PoolEventData } from "../protocol/mod.ts";
import type { EventHub } from "./events.ts";
import { openAtRest, sealAtRest } from "./master_key.ts";
import type { KmsStore } from "./store.ts";

/** What a {@linkcode KeyPool} works with. */
export interface KeyPoolOptions {
  /** Most bits it holds (a multiple of 8). */
  capacityBits: number;
  /** Seals the pooled bits at rest. */
  masterKey: CryptoKey;
  /** Where `pool` events go. */
  hub: EventHub;
  /** The link the bits came from (its rows' `link`). Default `link-1`. */
  link?: string;
  /** Fewest ms between two `pool` events for takes. Default 250. */
  takeEventMs?: number;
}

/** A take: exactly the bits asked for, or a refusal at once. */
export type PoolTake =
  | { ok: true; secret: Uint8Array }
  | { ok: false; reason: "pool_empty"; poolBits: number };

interface Chunk {
  chunkId: string;
  /** The chunk's bits in clear; consumed bytes are zeroed. */
  bytes: Uint8Array;
  /** Bytes already taken from its start. */
  used: number;
}

/**
 * Pooled secret bits of one link.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { importAesKey } from "../protocol/mod.ts";
 * import { EventHub } from "./events.ts";
 * import { KeyPool } from "./key_pool.ts";
 * import { KmsStore } from "./store.ts";
 *
 * const store = new KmsStore(":memory:");
 * const masterKey = await importAesKey(new Uint8Array(32));
 * const pool = new KeyPool(store, { capacityBits: 8192, masterKey, hub: new EventHub() });
 * assertEquals(await pool.add(new Uint8Array(64).fill(7)), 512);
 * const taken = pool.take(256);
 * assertEquals(taken.ok && taken.secret, new Uint8Array(32).fill(7));
 * assertEquals(pool.take(512), { ok: false, reason: "pool_empty", poolBits: 256 });
 * pool.close();
 * store.close();
 * ```
 */
export class KeyPool {
  #store: KmsStore;
  #masterKey: CryptoKey;
  #hub: EventHub;
  #link: string;
  #capacityBytes: number;
  #chunks: Chunk[] = [];
  #levelBytes = 0;
  // Bumped by a flush: a block sealed before it must not land after it.
  #generation = 0;
  #adding: Promise<unknown> = Promise.resolve();
  #takeEventMs: number;
  #lastTakeEvent = -Infinity;
  #pendingTaken = 0;
  #takeTimer: ReturnType<typeof setTimeout> | undefined;

  /** An empty pool on `store`'s database; {@linkcode restore} loads what it held. */
  constructor(store: KmsStore, options: KeyPoolOptions) {
    if (options.capacityBits % 8 !== 0 || options.capacityBits <= 0) {
      throw new RangeError("capacityBits must be a positive multiple of 8");
    }
    this.#store = store;
    this.#masterKey = options.masterKey;
    this.#hub = options.hub;
    this.#link = options.link ?? "link-1";
    this.#capacityBytes = options.capacityBits / 8;
    this.#takeEventMs = options.takeEventMs ?? 250;
  }

  /** Bits the pool holds now. */
  get bits(): number {
    return this.#levelBytes * 8;
  }

  /** Most bits it holds. */
  get capacityBits(): number {
    return this.#capacityBytes * 8;
  }

  /** Whether a block's bits would find no room. */
  get full(): boolean {
    return this.#levelBytes >= this.#capacityBytes;
  }

  /**
   * Opens the chunks a previous run left (what they still hold); returns
   * the bits restored.
   *
   * @throws if a chunk does not open under this master key.
   */
  async restore(): Promise<number> {
    const rows = this.#store.statement(
      "SELECT chunk_id, sealed, used FROM key_pool WHERE link = ? ORDER BY id",
    ).all(this.#link) as {
      chunk_id: string;
      sealed: Uint8Array;
      used: number;
    }[];
    for (const row of rows) {
      const bytes = await openAtRest(this.#masterKey, row.sealed, {
        context: this.#context(row.chunk_id),
      });
      bytes.fill(0, 0, row.used);
      this.#chunks.push({ chunkId: row.chunk_id, bytes, used: row.used });
      this.#levelBytes += bytes.length - row.used;
    }
    return this.bits;
  }

  /**
   * Appends a block's secret (as much as fits), sealed at rest before it
   * can be taken; returns the bits added. Appends run one at a time, in
   * order; one a flush overtook adds nothing.
   */
  add(secret: Uint8Array): Promise<number> {
    const generation = this.#generation;
    const added = this.#adding.then(() => this.#append(secret, generation));
    this.#adding = added.catch(() => {});
    return added;
  }

  async #append(secret: Uint8Array, generation: number): Promise<number> {
    const room = this.#capacityBytes - this.#levelBytes;
    if (room <= 0 || secret.length === 0 || generation !== this.#generation) {
      return 0;
    }
    const bytes = secret.slice(0, Math.min(room, secret.length));
    const chunkId = crypto.randomUUID();
    const sealed = await sealAtRest(this.#masterKey, bytes, {
      context: this.#context(chunkId),
    });
    if (generation !== this.#generation) {
      bytes.fill(0);
      return 0;
    }
    this.#store.statement(
      "INSERT INTO key_pool (chunk_id, link, sealed, bytes, used, added_at) VALUES (?, ?, ?, ?, 0, ?)",
    ).run(chunkId, this.#link, sealed, bytes.length, new Date().toISOString());
    this.#chunks.push({ chunkId, bytes, used: 0 });
    this.#levelBytes += bytes.length;
    return bytes.length * 8;
  }

  /**
   * Takes `bits` (a positive multiple of 8) from the oldest chunks, or
   * refuses at once when the pool holds fewer. Synchronous: nothing else
   * can take between the check and the consumption, which is on disk
   * before this returns.
   */
  take(bits: number): PoolTake {
    if (!Number.isSafeInteger(bits) || bits <= 0 || bits % 8 !== 0) {
      throw new RangeError(
        `bits must be a positive multiple of 8, got ${bits}`,
      );
    }
    const wanted = bits / 8;
    if (wanted > this.#levelBytes) {
      return { ok: false, reason: "pool_empty", poolBits: this.bits };
    }
    // The plan first, on disk, then memory: a failed write hands out nothing.
    const plan: { chunk: Chunk; from: number; to: number }[] = [];
    let left = wanted;
    for (const chunk of this.#chunks) {
      if (left === 0) break;
      const n = Math.min(left, chunk.bytes.length - chunk.used);
      plan.push({ chunk, from: chunk.used, to: chunk.used + n });
      left -= n;
    }
    const update = this.#store.statement(
      "UPDATE key_pool SET used = ? WHERE chunk_id = ?",
    );
    const remove = this.#store.statement(
      "DELETE FROM key_pool WHERE chunk_id = ?",
    );
    this.#store.batch(() => {
      for (const { chunk, to } of plan) {
        if (to === chunk.bytes.length) remove.run(chunk.chunkId);
        else update.run(to, chunk.chunkId);
      }
    });
    const secret = new Uint8Array(wanted);
    let offset = 0;
    for (const { chunk, from, to } of plan) {
      secret.set(chunk.bytes.subarray(from, to), offset);
      chunk.bytes.fill(0, from, to);
      chunk.used = to;
      offset += to - from;
    }
    this.#chunks = this.#chunks.filter((c) => c.used < c.bytes.length);
    this.#levelBytes -= wanted;
    this.#noteTaken(bits);
    return { ok: true, secret };
  }

  /** Drops every pooled bit, in memory and on disk; returns how many. */
  flush(): number {
    const bits = this.bits;
    this.#generation++;
    this.#store.statement("DELETE FROM key_pool WHERE link = ?").run(
      this.#link,
    );
    for (const chunk of this.#chunks) chunk.bytes.fill(0);
    this.#chunks = [];
    this.#levelBytes = 0;
    this.#publish("flushed", bits);
    return bits;
  }

  /** Sends the last coalesced `pool` event and stops its timer. */
  close(): void {
    clearTimeout(this.#takeTimer);
    this.#takeTimer = undefined;
    this.#pendingTaken = 0;
  }

  #context(chunkId: string): string {
    return `pool|${this.#link}|${chunkId}`;
  }

  // Takes can come thousands a second: their events are summed, a few a second.
  #noteTaken(bits: number): void {
    this.#pendingTaken += bits;
    if (this.#takeTimer !== undefined) return;
    const wait = this.#lastTakeEvent + this.#takeEventMs - Date.now();
    if (wait <= 0) return this.#publishTaken();
    this.#takeTimer = setTimeout(() => {
      this.#takeTimer = undefined;
      this.#publishTaken();
    }, wait);
  }

  #publishTaken(): void {
    this.#lastTakeEvent = Date.now();
    const bits = this.#pendingTaken;
    this.#pendingTaken = 0;
    this.#publish("taken", bits);
  }

  #publish(change: PoolChange, bits: number): void {
    const data: PoolEventData = {
      change,
      bits,
      pool_bits: this.bits,
      pool_capacity_bits: this.capacityBits,
      time: new Date().toISOString(),
    };
    this.#hub.publish({ event: "pool", data });
  }
}
