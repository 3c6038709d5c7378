/**
 * Room keys, in memory only (as pair keys): one 256-bit key `R` per room
 * and epoch, from one take of the QKD pool for every member (the multicast
 * of ETSI GS QKD 014's `additional_slave_SAE_IDs`, on the seed-style API),
 * the same key and key id for each. A room has at most one: the key of an
 * epoch that moved on (a join, a leave, a reset), and every key when the
 * link turns RED, is destroyed (its bytes zeroed) and audited as
 * `KEY_DESTROYED`, never with key material or key id.
 *
 * @module
 */

import type { Auditor } from "./audit.ts";
import type { EventHub } from "./events.ts";
import {
  type IssuedKey,
  KeyIssuer,
  type RefusedKey,
  type SharedKey,
} from "./key_issuer.ts";
import type { QuantumLink } from "./quantum_link.ts";
import type { KmsStore } from "./store.ts";

/** Everything the room keys work with (a {@linkcode KeyIssuer}'s deps). */
export interface RoomKeysDeps {
  /** The link and its key pool. */
  link: QuantumLink;
  /** Counters and the key ledger. */
  store: KmsStore;
  /** Where `key` events go. */
  hub: EventHub;
  /** Where the room key rows go. */
  audit: Auditor;
}

interface RoomKey {
  epoch: number;
  shared: SharedKey;
}

/**
 * The current room key of each room.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { generateIdentity, importAesKey } from "../protocol/mod.ts";
 * import { parseKmsConfig } from "./config.ts";
 * import { closeKms, createKms } from "./context.ts";
 * import { RoomKeys } from "./room_keys.ts";
 * import { KmsStore } from "./store.ts";
 *
 * const kms = createKms(parseKmsConfig([], () => undefined), {
 *   store: new KmsStore(":memory:"),
 *   masterKey: await importAesKey(new Uint8Array(32)),
 *   ticketKey: await generateIdentity(),
 *   log: () => {},
 * });
 * await kms.pool.add(new Uint8Array(32).fill(7)); // one key's bits
 * const keys = new RoomKeys(kms);
 * const a = keys.issue({ room: "squad1", epoch: 2 }, "Soldier_Alpha");
 * const b = keys.issue({ room: "squad1", epoch: 2 }, "Soldier_Bravo");
 * assertEquals(a.ok && b.ok && a.keyId === b.keyId && a.key.length, 32);
 * assertEquals(keys.destroy("squad1", { reason: "leave" }), 1);
 * const c = keys.issue({ room: "squad1", epoch: 3 }, "Soldier_Alpha");
 * assertEquals(!c.ok && c.reason, "pool_empty");
 * closeKms(kms);
 * ```
 */
export class RoomKeys {
  #issuer: KeyIssuer;
  #audit: Auditor;
  #keys = new Map<string, RoomKey>();

  /** Takes its keys from `deps.link`'s pool. */
  constructor(deps: RoomKeysDeps) {
    this.#issuer = new KeyIssuer(deps);
    this.#audit = deps.audit;
  }

  /** Rooms that hold a key now. */
  get size(): number {
    return this.#keys.size;
  }

  /**
   * The key of `at.room` at `at.epoch` (its current epoch, the caller
   * checked) for member `device`: made from 256 pool bits at the first
   * request of the epoch, the same for every later one. The returned key
   * is the caller's copy, to zero once it is wrapped. Synchronous from the
   * check to the take, so concurrent members never cause two takes.
   */
  issue(
    at: { room: string; epoch: number },
    device: string,
  ): IssuedKey | RefusedKey {
    const { room, epoch } = at;
    const label = `room:${room}`;
    const held = this.#keys.get(room);
    let shared = held?.epoch === epoch ? held.shared : undefined;
    if (shared) {
      const refusal = this.#issuer.refusalNow(device, label);
      if (refusal) return refusal;
    } else {
      if (held) this.destroy(room, { reason: "epoch_changed", by: device });
      const fresh = this.#issuer.mint({ device }, label);
      if (!fresh.ok) return fresh;
      // The id names the room and epoch, and a random part: a room made
      // again after a restart never repeats one.
      shared = {
        ...fresh.shared,
        keyId: `${room}/${epoch}/${fresh.shared.keyId}`,
      };
      this.#keys.set(room, { epoch, shared });
      this.#audit.limited(
        "ROOMKEY_GENERATED",
        `room=${room} epoch=${epoch}`,
        { source: `device=${device}` },
      );
    }
    const issued = this.#issuer.hand(shared, {
      device,
      peer: null,
      kind: "room",
    });
    return { ...issued, key: issued.key.slice() };
  }

  /**
   * Destroys `room`'s key (its epoch moved on, or the room is gone) with
   * `cause.reason` on its `KEY_DESTROYED` row; returns how many went (0 or
   * 1). A device's action (`cause.by`) can repeat at will: its rows are
   * rate-limited per device.
   */
  destroy(room: string, cause: { reason: string; by?: string }): number {
    const held = this.#keys.get(room);
    if (!held) return 0;
    this.#keys.delete(room);
    held.shared.key.fill(0);
    const message = `room=${room} epoch=${held.epoch} reason=${cause.reason}`;
    if (cause.by === undefined) this.#audit.record("KEY_DESTROYED", message);
    else {
      this.#audit.limited("KEY_DESTROYED", message, {
        source: `device=${cause.by}`,
      });
    }
    return 1;
  }

  /** Destroys every room key (the link turned RED); returns how many. */
  destroyAll(reason: string): number {
    let count = 0;
    for (const room of [...this.#keys.keys()]) {
      count += this.destroy(room, { reason });
    }
    return count;
  }
}
