/**
 * Who gets which key: the pairing rules of `/get_session_key`, the seed-era
 * key sharing, and the later session API (`/create_session`, `/join_session`).
 *
 * Rules (README "Pairing rules"):
 * - With a peer, a key belongs to the unordered pair. The first request runs
 *   BB84 and creates it; the peer's request receives the same key and key id.
 *   A party that asks again while it already holds the current key gets a
 *   fresh one, which its peer then receives.
 * - Without a peer (seed clients), a device receives the key that another
 *   device received last if no second device has taken it yet; otherwise it
 *   gets a fresh key, which waits for the next device.
 * Issuing is synchronous from the request to the stored key (the BB84 run
 * included), so parallel requests cannot interleave and never split a pair
 * between two keys.
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
import type { QuantumLink } from "./quantum_link.ts";
import type { KmsStore } from "./store.ts";

/** A key handed to a device. */
export interface IssuedKey {
  /** True. */
  ok: true;
  /** The 32-byte session key. */
  key: Uint8Array;
  /** Its id (UUID). */
  keyId: string;
  /** QBER of the run that produced it. */
  qber: number;
  /** Link status when issued. */
  status: LinkStatus;
  /** Whether an ML-KEM secret was mixed in. */
  pqc: boolean;
}

/** No key: the link refused. */
export interface RefusedKey {
  /** False. */
  ok: false;
  /** Why. */
  error: string;
  /** QBER of the run. */
  qber: number;
  /** Link status. */
  status: LinkStatus;
}

/** Outcome of a key request. */
export type KeyOutcome = IssuedKey | RefusedKey;

/** A request for a key. */
export interface KeyRequest {
  /** The requesting device. */
  device: string;
  /** Its peer, if named. */
  peer?: string;
  /** Mix an ML-KEM-768 secret into the key (seed TASK 7). */
  pqc?: boolean;
  /** Put Eve on the channel for this run (the seed's `force_attack`). */
  forceAttack?: boolean;
  /** Fetch this recent key of the pair instead of the current one. */
  keyId?: string;
}

/** Recent keys kept per pair, so a peer that lags behind a re-key can fetch them. */
export const RECENT_PAIR_KEYS = 8;

interface SharedKey {
  key: Uint8Array;
  keyId: string;
  qber: number;
  pqc: boolean;
  holders: Set<string>;
}

/** A session of the later seed API. */
export interface Session extends SharedKey {
  /** Session id. */
  sessionId: string;
  /** Device that created it. */
  initiator: string;
  /** The only device that may join. */
  peer: string;
  /** ISO creation time. */
  createdAt: string;
}

/** Session metadata for `GET /sessions`: no key material. */
export interface SessionInfo {
  /** Session id. */
  session_id: string;
  /** Creator. */
  initiator: string;
  /** Invited peer. */
  peer: string;
  /** Whether the peer has joined. */
  joined: boolean;
  /** Key id. */
  key_id: string;
  /** QBER of the run. */
  qber: number;
  /** Creation time. */
  created_at: string;
}

/** Everything the broker works with. */
export interface KeyBrokerDeps {
  /** The BB84 link. */
  link: QuantumLink;
  /** Ledger. */
  store: KmsStore;
  /** Event feed. */
  hub: EventHub;
  /** Audit trail. */
  audit: Auditor;
}

/**
 * Issues session keys under the pairing rules.
 *
 * @example
 * ```ts ignore
 * const broker = new KeyBroker({ link, store, hub, audit });
 * const a = broker.pairKey({ device: "Soldier_Alpha", peer: "Soldier_Bravo" });
 * const b = broker.pairKey({ device: "Soldier_Bravo", peer: "Soldier_Alpha" });
 * // a.keyId === b.keyId
 * ```
 */
export class KeyBroker {
  #deps: KeyBrokerDeps;
  #pairs = new Map<string, SharedKey[]>();
  #seedSlot: (SharedKey & { owner: string }) | null = null;
  #sessions = new Map<string, Session>();

  /** Creates a broker with no keys. */
  constructor(deps: KeyBrokerDeps) {
    this.#deps = deps;
  }

  /** Pairs and sessions that currently hold a key. */
  get activeSessions(): number {
    return this.#pairs.size + this.#sessions.size + (this.#seedSlot ? 1 : 0);
  }

  /**
   * A key for `device` under the pairing rules (seed sharing without a peer);
   * with `keyId`, that recent key of the pair, or "unknown_key".
   */
  pairKey(request: KeyRequest): KeyOutcome | "unknown_key" {
    return this.#deps.store.batch(() => this.#pairKey(request));
  }

  #pairKey(request: KeyRequest): KeyOutcome | "unknown_key" {
    const { device, peer } = request;
    if (peer === undefined || peer === device) return this.#seedKey(request);
    const pair = [device, peer].sort().join("\u0000");
    const keys = this.#pairs.get(pair) ?? [];
    if (request.keyId !== undefined) {
      // A device that sees a packet under a key it lacks fetches that key.
      const wanted = keys.find((k) => k.keyId === request.keyId);
      if (!wanted) return "unknown_key";
      return this.#refusalIfRed(device, peer) ??
        this.#hand(wanted, device, peer, "pair");
    }
    const current = keys.at(-1);
    if (current && !current.holders.has(device)) {
      return this.#refusalIfRed(device, peer) ??
        this.#hand(current, device, peer, "pair");
    }
    const fresh = this.#newKey(request, peer);
    if (!fresh.ok) return fresh;
    this.#pairs.set(pair, [...keys.slice(1 - RECENT_PAIR_KEYS), fresh.shared]);
    return this.#hand(fresh.shared, device, peer, "pair");
  }

  /** Creates a session for `initiator` and `peer` (`/create_session`). */
  createSession(
    request: { initiator: string; peer: string; pqc?: boolean },
  ): (IssuedKey & { session: Session }) | RefusedKey {
    return this.#deps.store.batch(() => this.#createSession(request));
  }

  #createSession(
    request: { initiator: string; peer: string; pqc?: boolean },
  ): (IssuedKey & { session: Session }) | RefusedKey {
    const { initiator, peer } = request;
    const fresh = this.#newKey(
      { device: initiator, pqc: request.pqc },
      peer,
    );
    if (!fresh.ok) return fresh;
    const session: Session = {
      ...fresh.shared,
      sessionId: crypto.randomUUID(),
      initiator,
      peer,
      createdAt: new Date().toISOString(),
    };
    this.#sessions.set(session.sessionId, session);
    this.#deps.audit.record(
      "SESSION_CREATED",
      `session=${session.sessionId} initiator=${initiator} peer=${peer}`,
    );
    return { ...this.#hand(session, initiator, peer, "session"), session };
  }

  /**
   * The session's key for its named peer; "not_found" for an unknown
   * session, "forbidden" for anyone else.
   */
  joinSession(
    sessionId: string,
    device: string,
  ):
    | (IssuedKey & { session: Session })
    | RefusedKey
    | "not_found"
    | "forbidden" {
    const session = this.#sessions.get(sessionId);
    if (!session) return "not_found";
    if (device !== session.peer && device !== session.initiator) {
      return "forbidden";
    }
    const refusal = this.#refusalIfRed(device, session.initiator);
    if (refusal) return refusal;
    if (device === session.peer && !session.holders.has(device)) {
      this.#deps.audit.record(
        "SESSION_JOINED",
        `session=${sessionId} device=${device}`,
      );
    }
    return {
      ...this.#hand(session, device, session.initiator, "session"),
      session,
    };
  }

  /** Session metadata, never keys. */
  sessions(): SessionInfo[] {
    return [...this.#sessions.values()].map((s) => ({
      session_id: s.sessionId,
      initiator: s.initiator,
      peer: s.peer,
      joined: s.holders.has(s.peer),
      key_id: s.keyId,
      qber: s.qber,
      created_at: s.createdAt,
    }));
  }

  /** Forgets every key and session (reset). */
  clear(): void {
    this.#pairs.clear();
    this.#sessions.clear();
    this.#seedSlot = null;
  }

  #seedKey(request: KeyRequest): KeyOutcome {
    const { device } = request;
    const slot = this.#seedSlot;
    if (slot && slot.owner !== device) {
      const refusal = this.#refusalIfRed(device, slot.owner);
      if (refusal) return refusal;
      this.#seedSlot = null;
      return this.#hand(slot, device, slot.owner, "seed");
    }
    const fresh = this.#newKey(request, "*");
    if (!fresh.ok) return fresh;
    this.#seedSlot = { ...fresh.shared, owner: device };
    return this.#hand(fresh.shared, device, null, "seed");
  }

  /** No key leaves the KMS while the link is RED, not even an existing one. */
  #refusalIfRed(device: string, peer: string): RefusedKey | undefined {
    const { link, audit } = this.#deps;
    if (link.status !== "RED") return undefined;
    audit.record(
      "KEY_REFUSED",
      `device=${device} peer=${peer} status=RED qber=${link.qber.toFixed(3)}`,
    );
    return {
      ok: false,
      error:
        "QKD link compromised: the link is RED. No keys until an operator resets the link.",
      qber: link.qber,
      status: "RED",
    };
  }

  #newKey(
    request: KeyRequest,
    peer: string,
  ): { ok: true; shared: SharedKey } | RefusedKey {
    const run = this.#deps.link.freshKey(256, {
      forceEve: request.forceAttack,
    });
    if (!run.ok) {
      this.#deps.audit.record(
        "KEY_REFUSED",
        `device=${request.device} peer=${peer} status=${run.status} qber=${
          run.qber.toFixed(3)
        }`,
      );
      return {
        ok: false,
        error: run.error,
        qber: run.qber,
        status: run.status,
      };
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

  #hand(
    shared: SharedKey,
    device: string,
    peer: string | null,
    kind: string,
  ): IssuedKey {
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
    audit.record(
      "KEY_ISSUED",
      `device=${device} peer=${peer ?? "-"} key_id=${shared.keyId} qber=${
        shared.qber.toFixed(3)
      }`,
    );
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
