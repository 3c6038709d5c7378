/**
 * ETSI GS QKD 014 keys waiting for their slave SAEs, sealed, in the KMS
 * database: one row per key (`etsi_keys`) and one per slave that may collect
 * it once (`etsi_key_slaves`; several for a multicast key).
 *
 * Collection is a claim, then a delivery: {@linkcode EtsiKeyStore.claim}
 * marks the keys of a `dec_keys` answer in one synchronous transaction (no
 * other request can interleave, so no key goes into two answers), and
 * {@linkcode EtsiKeyStore.deliver} records them delivered, erasing a key
 * once its last slave has it, only after the answer was written. An answer
 * that was not written gives its keys back ({@linkcode EtsiKeyStore.release});
 * a crash leaves the claim, which the next start releases
 * ({@linkcode EtsiKeyStore.releaseAll}).
 *
 * @module
 */

import type { KmsStore } from "./store.ts";

/** Most undelivered keys held for one master/slave pair. */
export const MAX_UNDELIVERED_KEYS = 4096;

/** An ETSI key, sealed under the master key. */
export interface SealedEtsiKey {
  /** The key id, a lower-case UUID. */
  keyId: string;
  /** SAE that requested it. */
  master: string;
  /** The slave the master named in the path: part of the seal's context. */
  slave: string;
  /** Nonce, ciphertext and tag under the master key. */
  sealed: Uint8Array;
}

/** A pair over the cap: the outcome of a refused reservation or store. */
export interface OverCap {
  ok: false;
  reason: "cap";
  /** The slave whose pair is full. */
  slave: string;
  /** Its undelivered keys (stored and reserved). */
  held: number;
}

/** A reservation of room under the cap, given back with `release()`. */
export type Reservation = { ok: true; release(): void } | OverCap;

/**
 * What {@linkcode EtsiKeyStore.claim} claimed: every named key, or nothing
 * and the ids that stopped it: `unauthorized` for keys the caller is no
 * slave of, `missing` for keys unknown, of another master, already
 * delivered to the caller or in an answer on its way to it.
 */
export type EtsiClaim =
  | { ok: true; claim: string; keys: SealedEtsiKey[] }
  | { ok: false; reason: "unauthorized" | "missing"; keyIds: string[] };

interface ClaimRow {
  master: string;
  slave: string;
  sealed: Uint8Array;
  member: string | null;
  claim: string | null;
  delivered_at: string | null;
}

/**
 * The ETSI keys of one KMS database, and the room under the per-pair cap
 * that requests still sealing their keys have reserved.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { EtsiKeyStore } from "./etsi_keys.ts";
 * import { KmsStore } from "./store.ts";
 *
 * const store = new KmsStore(":memory:");
 * const keys = new EtsiKeyStore(store, { cap: 2 });
 * const key = { keyId: "k1", master: "A", slave: "B", sealed: new Uint8Array(1) };
 * assertEquals(keys.add([key], { slaves: ["B", "C"] }), { ok: true });
 * assertEquals(keys.count({ master: "A", slave: "C" }), 1);
 * const claimed = keys.claim(["k1"], { master: "A", slave: "B" });
 * assertEquals(claimed.ok, true);
 * // In flight to B: B cannot claim it again, D never could.
 * assertEquals(keys.claim(["k1"], { master: "A", slave: "B" }).ok, false);
 * assertEquals(keys.claim(["k1"], { master: "A", slave: "D" }), {
 *   ok: false,
 *   reason: "unauthorized",
 *   keyIds: ["k1"],
 * });
 * if (claimed.ok) assertEquals(keys.deliver(claimed.claim), { delivered: 1, erased: 0 });
 * assertEquals(keys.count({ master: "A", slave: "B" }), 0);
 * assertEquals(keys.count({ master: "A", slave: "C" }), 1, "C still collects it");
 * store.close();
 * ```
 */
export class EtsiKeyStore {
  #store: KmsStore;
  #cap: number;
  // Keys of requests between their reservation and their insert, per
  // `master|slave`: the cap counts them, so concurrent requests that each
  // await their seals cannot all pass it.
  #pending = new Map<string, number>();

  constructor(store: KmsStore, options: { cap?: number } = {}) {
    this.#store = store;
    this.#cap = options.cap ?? MAX_UNDELIVERED_KEYS;
  }

  /** The most undelivered keys one master/slave pair may hold. */
  get cap(): number {
    return this.#cap;
  }

  /** Undelivered keys from `master` that `slave` may still collect. */
  count(pair: { master: string; slave: string }): number {
    return (this.#store.statement(
      `SELECT count(*) AS n FROM etsi_key_slaves s JOIN etsi_keys k USING (key_id)
       WHERE k.master = ? AND s.slave = ? AND s.delivered_at IS NULL`,
    ).get(pair.master, pair.slave) as { n: number }).n;
  }

  /**
   * Reserves room for `number` more keys from `master` to each of
   * `slaves`, or refuses (synchronously: call it before the first await).
   */
  reserve(
    number: number,
    options: { master: string; slaves: string[] },
  ): Reservation {
    const names = options.slaves.map((slave) => `${options.master}|${slave}`);
    for (const [i, slave] of options.slaves.entries()) {
      const held = this.count({ master: options.master, slave }) +
        (this.#pending.get(names[i]) ?? 0);
      if (held + number > this.#cap) {
        return { ok: false, reason: "cap", slave, held };
      }
    }
    for (const name of names) {
      this.#pending.set(name, (this.#pending.get(name) ?? 0) + number);
    }
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        for (const name of names) {
          const left = (this.#pending.get(name) ?? 0) - number;
          if (left > 0) this.#pending.set(name, left);
          else this.#pending.delete(name);
        }
      },
    };
  }

  /**
   * Stores `keys`, each collectable once by every one of `options.slaves`,
   * in one transaction that checks the cap again (stored keys only: the
   * caller's own reservation is what it is storing).
   */
  add(
    keys: SealedEtsiKey[],
    options: { slaves: string[] },
  ): { ok: true } | OverCap {
    const insertKey = this.#store.statement(
      "INSERT INTO etsi_keys (key_id, master, slave, sealed, created_at) VALUES (?, ?, ?, ?, ?)",
    );
    const insertSlave = this.#store.statement(
      "INSERT INTO etsi_key_slaves (key_id, slave) VALUES (?, ?)",
    );
    const at = new Date().toISOString();
    return this.#store.batch(() => {
      for (const master of new Set(keys.map((k) => k.master))) {
        const number = keys.filter((k) => k.master === master).length;
        for (const slave of options.slaves) {
          const held = this.count({ master, slave });
          if (held + number > this.#cap) {
            return { ok: false, reason: "cap", slave, held } as const;
          }
        }
      }
      for (const k of keys) {
        insertKey.run(k.keyId, k.master, k.slave, k.sealed, at);
        for (const slave of options.slaves) insertSlave.run(k.keyId, slave);
      }
      return { ok: true } as const;
    });
  }

  /**
   * Claims every named key from `master` for `slave` in one transaction, or
   * none (all or nothing); `keyIds` must be distinct.
   */
  claim(
    keyIds: string[],
    pair: { master: string; slave: string },
  ): EtsiClaim {
    const select = this.#store.statement(
      `SELECT k.master, k.slave, k.sealed, s.slave AS member, s.claim, s.delivered_at
       FROM etsi_keys k LEFT JOIN etsi_key_slaves s ON s.key_id = k.key_id AND s.slave = ?
       WHERE k.key_id = ?`,
    );
    const mark = this.#store.statement(
      "UPDATE etsi_key_slaves SET claim = ? WHERE key_id = ? AND slave = ?",
    );
    return this.#store.batch((): EtsiClaim => {
      const keys: SealedEtsiKey[] = [];
      const unauthorized: string[] = [];
      const missing: string[] = [];
      for (const keyId of keyIds) {
        const row = select.get(pair.slave, keyId) as ClaimRow | undefined;
        if (!row) missing.push(keyId);
        else if (row.member === null) unauthorized.push(keyId);
        else if (
          row.master !== pair.master || row.claim !== null ||
          row.delivered_at !== null
        ) missing.push(keyId);
        else {
          keys.push({
            keyId,
            master: row.master,
            slave: row.slave,
            sealed: row.sealed,
          });
        }
      }
      // Table 7: a requestor that is no slave of any named key gets 401.
      if (unauthorized.length > 0) {
        return { ok: false, reason: "unauthorized", keyIds: unauthorized };
      }
      if (missing.length > 0) {
        return { ok: false, reason: "missing", keyIds: missing };
      }
      const claim = crypto.randomUUID();
      for (const k of keys) mark.run(claim, k.keyId, pair.slave);
      return { ok: true, claim, keys };
    });
  }

  /**
   * Records the keys of `claim` delivered; erases each key (its sealed copy
   * too) that no slave is still to collect. Returns how many were
   * delivered and erased.
   */
  deliver(claim: string): { delivered: number; erased: number } {
    const claimed = this.#store.statement(
      "SELECT key_id FROM etsi_key_slaves WHERE claim = ?",
    );
    const done = this.#store.statement(
      "UPDATE etsi_key_slaves SET claim = NULL, delivered_at = ? WHERE claim = ?",
    );
    const eraseKey = this.#store.statement(
      `DELETE FROM etsi_keys WHERE key_id = ? AND NOT EXISTS
       (SELECT 1 FROM etsi_key_slaves WHERE key_id = ? AND delivered_at IS NULL)`,
    );
    const eraseSlaves = this.#store.statement(
      "DELETE FROM etsi_key_slaves WHERE key_id = ?",
    );
    return this.#store.batch(() => {
      const ids = (claimed.all(claim) as { key_id: string }[]).map((r) =>
        r.key_id
      );
      done.run(new Date().toISOString(), claim);
      let erased = 0;
      for (const id of ids) {
        if (Number(eraseKey.run(id, id).changes) > 0) {
          eraseSlaves.run(id);
          erased++;
        }
      }
      return { delivered: ids.length, erased };
    });
  }

  /** Gives the keys of `claim` back, collectable again; returns how many. */
  release(claim: string): number {
    return Number(
      this.#store.statement(
        "UPDATE etsi_key_slaves SET claim = NULL WHERE claim = ?",
      ).run(claim).changes,
    );
  }

  /**
   * Gives back every claim (at start: the answers in flight when the last
   * process died); returns how many keys.
   */
  releaseAll(): number {
    return Number(
      this.#store.statement(
        "UPDATE etsi_key_slaves SET claim = NULL WHERE claim IS NOT NULL",
      ).run().changes,
    );
  }
}
