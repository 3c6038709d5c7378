/**
 * How a key is made and handed out, whatever the rule that decided who gets
 * it: 256 bits from the link's key pool through HKDF (and an ML-KEM-768
 * encapsulation for `pqc`),
 * then, per device that receives it, the issued counter, a ledger line, a
 * `KEY_ISSUED` audit entry (rate-limited per device) and a `key` event.
 * Refusals are audited as `KEY_REFUSED`.
 *
 * @module
 */

import {
  deriveSessionKey,
  generateKemKeyPair,
  hybridEncapsulate,
} from "../quantum/mod.ts";
import type { LinkStatus } from "../protocol/mod.ts";
import type { Auditor } from "./audit.ts";
import type { EventHub } from "./events.ts";
import type { LinkRefusal } from "./link_refusal.ts";
import type { QuantumLink } from "./quantum_link.ts";
import type { KmsStore } from "./store.ts";

/** A key handed to a device. */
export interface IssuedKey {
  ok: true;
  /** The 32-byte session key. */
  key: Uint8Array;
  /** Its id (UUID). */
  keyId: string;
  /** The link's QBER when its bits left the pool. */
  qber: number;
  /** Link status when issued. */
  status: LinkStatus;
  /** Whether an ML-KEM secret was mixed in. */
  pqc: boolean;
}

/** No key: the link refused (RED, its worker down, or the pool short). */
export type RefusedKey = LinkRefusal;

/**
 * Which rule handed a key out, as the ledger and `key` events name it:
 * `pair` (a named peer), `session` (the session API), `seed` (no peer
 * named: the legacy clients' rule; stored rows and dashboards know it by
 * this name) or `room` (a squad room's key, `room_keys.ts`).
 */
export type KeyKind = "pair" | "session" | "seed" | "room";

/** A key and the devices that hold it. */
export interface SharedKey {
  /** The 32-byte session key. */
  key: Uint8Array;
  /** Its id (UUID). */
  keyId: string;
  /** The link's QBER when its bits left the pool. */
  qber: number;
  /** Whether an ML-KEM secret was mixed in. */
  pqc: boolean;
  /** Devices it was handed to. */
  holders: Set<string>;
}

/** Everything the issuer works with. */
export interface KeyIssuerDeps {
  /** The link and its key pool. */
  link: QuantumLink;
  /** Counters and the key ledger. */
  store: KmsStore;
  /** Where `key` events go. */
  hub: EventHub;
  /** Where `KEY_ISSUED` and `KEY_REFUSED` go. */
  audit: Auditor;
}

/**
 * Makes keys and hands them to devices.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { KeyIssuer } from "./key_issuer.ts";
 * import { generateIdentity, importAesKey } from "../protocol/mod.ts";
 * import { parseKmsConfig } from "./config.ts";
 * import { closeKms, createKms } from "./context.ts";
 * import { KmsStore } from "./store.ts";
 *
 * const kms = createKms(parseKmsConfig([], () => undefined), {
 *   store: new KmsStore(":memory:"),
 *   masterKey: await importAesKey(new Uint8Array(32)),
 *   ticketKey: await generateIdentity(),
 *   log: () => {},
 * });
 * await kms.pool.add(new Uint8Array(32).fill(7)); // bits a block distilled
 * const issuer = new KeyIssuer(kms);
 * const made = issuer.mint({ device: "A" }, "B");
 * if (!made.ok) throw new Error(made.message);
 * const issued = issuer.hand(made.shared, { device: "A", peer: "B", kind: "pair" });
 * assertEquals([issued.key.length, kms.store.ledgerSize()], [32, 1]);
 * const empty = issuer.mint({ device: "A" }, "B");
 * assertEquals(!empty.ok && empty.reason, "pool_empty");
 * closeKms(kms);
 * ```
 */
export class KeyIssuer {
  #deps: KeyIssuerDeps;

  constructor(deps: KeyIssuerDeps) {
    this.#deps = deps;
  }

  /**
   * No key leaves the KMS while the link is RED (or its worker is down), not
   * even an existing one.
   */
  refusalNow(device: string, peer: string): RefusedKey | undefined {
    const refusal = this.#deps.link.refusal();
    if (refusal) this.#refused(refusal, { device, peer });
    return refusal;
  }

  /**
   * A fresh key from 256 pool bits for `request.device` and `peer` (`*`
   * when it waits for any device), held by nobody yet.
   */
  mint(
    request: { device: string; pqc?: boolean },
    peer: string,
  ): { ok: true; shared: SharedKey } | RefusedKey {
    const run = this.#deps.link.takeBits(256);
    if (!run.ok) {
      this.#refused(run, { device: request.device, peer });
      return run;
    }
    let key = deriveSessionKey(run.secret, {
      client: request.device,
      peer,
    });
    const pqc = request.pqc === true;
    if (pqc) {
      // A real ML-KEM-768 encapsulation. The KMS holds both halves, so this
      // hedges a weakness in the QKD key, not a dishonest KMS; the clients'
      // end-to-end hybrid covers that.
      const { publicKey } = generateKemKeyPair();
      key = hybridEncapsulate(key, publicKey).key;
    }
    return {
      ok: true,
      shared: {
        key,
        keyId: crypto.randomUUID(),
        qber: run.qber,
        pqc,
        holders: new Set(),
      },
    };
  }

  // A device polling a RED link or an empty pool is refused each time:
  // rate-limited per device.
  #refused(refusal: RefusedKey, to: { device: string; peer: string }): void {
    this.#deps.audit.limited(
      "KEY_REFUSED",
      `device=${to.device} peer=${to.peer} status=${refusal.status} reason=${refusal.reason} qber=${
        refusal.qber.toFixed(3)
      }`,
      { source: `device=${to.device}` },
    );
  }

  /** Hands `shared` to `to.device`, on the record. */
  hand(
    shared: SharedKey,
    to: { device: string; peer: string | null; kind: KeyKind },
  ): IssuedKey {
    const { device, peer, kind } = to;
    shared.holders.add(device);
    const { store, hub, audit, link } = this.#deps;
    link.countIssued(1);
    store.addLedger({
      keyId: shared.keyId,
      device,
      peer,
      qber: shared.qber,
      kind,
    });
    // Any device may ask for keys as often as it likes: rate-limited per
    // device (the ledger keeps every key), so it cannot push RESET out of
    // the recent rows. A room key's delivery has its own row
    // (ROOMKEY_ENCRYPTED), which names no key id.
    if (kind !== "room") {
      audit.limited(
        "KEY_ISSUED",
        `device=${device} peer=${peer ?? "-"} key_id=${shared.keyId} qber=${
          shared.qber.toFixed(3)
        }`,
        { source: `device=${device}` },
      );
    }
    hub.publish({
      event: "key",
      data: {
        device,
        peer,
        key_id: shared.keyId,
        qber: shared.qber,
        kind,
        time: new Date().toISOString(),
      },
    });
    return {
      ok: true,
      key: shared.key,
      keyId: shared.keyId,
      qber: shared.qber,
      status: link.status,
      pqc: shared.pqc,
    };
  }
}
