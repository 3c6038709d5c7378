/**
 * Who gets which key: the pairing rules of `/get_session_key` (with a named
 * peer, and the legacy clients' rule without one) and the session API
 * (`/create_session`, `/join_session`).
 *
 * Rules (README "Pairing rules"):
 * - With a peer, a key belongs to the unordered pair. The first request takes
 *   it from the key pool; the peer's request receives the same key and key id.
 *   A party that asks again while it already holds the current key gets a
 *   fresh one, which its peer then receives.
 * - Without a peer (legacy clients), a device receives the key that another
 *   device received last if no second device has taken it yet; otherwise it
 *   gets a fresh key, which waits for the next device.
 * Issuing is synchronous from the request to the stored key (the pool's take
 * included), so parallel requests cannot interleave and never split a pair
 * between two keys.
 *
 * @module
 */

import type { SessionInfo } from "../protocol/mod.ts";
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

/** Outcome of a key request: the key, the link's refusal, or no such key. */
export type KeyOutcome =
  | IssuedKey
  | RefusedKey
  | { ok: false; reason: "unknown_key" };

/** A session's key for one of its two devices. */
export type SessionKey = IssuedKey & { session: Session };

/** Outcome of joining a session. */
export type JoinOutcome =
  | SessionKey
  | RefusedKey
  | { ok: false; reason: "unknown_session" | "not_session_peer" };

/** A request for a key. */
export interface KeyRequest {
  /** The requesting device. */
  device: string;
  /** Its peer, if named. */
  peer?: string;
  /** Mix an ML-KEM-768 secret into the key. */
  pqc?: boolean;
  /** Fetch this recent key of the pair instead of the current one. */
  keyId?: string;
}

/** Recent keys kept per pair, so a peer that lags behind a re-key can fetch them. */
export const RECENT_PAIR_KEYS = 8;

/** A session of the session API: a key for its initiator and named peer. */
export interface Session extends SharedKey {
  /** Session id (UUID). */
  sessionId: string;
  /** Device that created it. */
  initiator: string;
  /** The only device that may join. */
  peer: string;
  /** ISO creation time. */
  createdAt: string;
}

/** Everything the broker works with. */
export interface KeyBrokerDeps {
  /** The link and its key pool. */
  link: QuantumLink;
  /** Counters and the key ledger. */
  store: KmsStore;
  /** Where `key` events go. */
  hub: EventHub;
  /** Where the session and key audit entries go. */
  audit: Auditor;
}

/**
 * Issues session keys under the pairing rules.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
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
 * await kms.pool.add(new Uint8Array(64)); // bits the link's blocks distilled
 * const { broker } = kms;
 * const a = broker.pairKey({ device: "Soldier_Alpha", peer: "Soldier_Bravo" });
 * const b = broker.pairKey({ device: "Soldier_Bravo", peer: "Soldier_Alpha" });
 * assertEquals(a.ok && b.ok && a.keyId === b.keyId, true);
 * assertEquals(broker.pairKey({ device: "Soldier_Bravo", peer: "Soldier_Alpha", keyId: "nope" }), {
 *   ok: false,
 *   reason: "unknown_key",
 * });
 * closeKms(kms);
 * ```
 */
export class KeyBroker {
  #store: KmsStore;
  #audit: Auditor;
  #issuer: KeyIssuer;
  #pairs = new Map<string, SharedKey[]>();
  #unpaired: (SharedKey & { owner: string }) | null = null;
  #sessions = new Map<string, Session>();

  constructor(deps: KeyBrokerDeps) {
    this.#store = deps.store;
    this.#audit = deps.audit;
    this.#issuer = new KeyIssuer(deps);
  }

  /** Pairs and sessions that currently hold a key. */
  get activeSessions(): number {
    return this.#pairs.size + this.#sessions.size + (this.#unpaired ? 1 : 0);
  }

  /**
   * A key for `device` under the pairing rules; with `keyId`, that recent
   * key of the pair.
   */
  pairKey(request: KeyRequest): KeyOutcome {
    return this.#store.batch(() => this.#pairKey(request));
  }

  #pairKey(request: KeyRequest): KeyOutcome {
    const { device, peer } = request;
    if (peer === undefined || peer === device) {
      return this.#unpairedKey(request);
    }
    const pair = [device, peer].sort().join("\u0000");
    const keys = this.#pairs.get(pair) ?? [];
    const to = { device, peer, kind: "pair" } as const;
    if (request.keyId !== undefined) {
      // A device that sees a packet under a key it lacks fetches that key.
      const wanted = keys.find((k) => k.keyId === request.keyId);
      if (!wanted) return { ok: false, reason: "unknown_key" };
      return this.#issuer.refusalNow(device, peer) ??
        this.#issuer.hand(wanted, to);
    }
    const current = keys.at(-1);
    if (current && !current.holders.has(device)) {
      return this.#issuer.refusalNow(device, peer) ??
        this.#issuer.hand(current, to);
    }
    const fresh = this.#issuer.mint(request, peer);
    if (!fresh.ok) return fresh;
    this.#pairs.set(pair, [...keys.slice(1 - RECENT_PAIR_KEYS), fresh.shared]);
    return this.#issuer.hand(fresh.shared, to);
  }

  /** Creates a session for `initiator` and `peer` (`/create_session`). */
  createSession(
    request: { initiator: string; peer: string; pqc?: boolean },
  ): SessionKey | RefusedKey {
    return this.#store.batch(() => this.#createSession(request));
  }

  #createSession(
    request: { initiator: string; peer: string; pqc?: boolean },
  ): SessionKey | RefusedKey {
    const { initiator, peer } = request;
    const fresh = this.#issuer.mint(
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
    this.#audit.record(
      "SESSION_CREATED",
      `session=${session.sessionId} initiator=${initiator} peer=${peer}`,
    );
    const to = { device: initiator, peer, kind: "session" } as const;
    return { ...this.#issuer.hand(session, to), session };
  }

  /** The session's key for its initiator or its named peer, nobody else. */
  joinSession(sessionId: string, device: string): JoinOutcome {
    const session = this.#sessions.get(sessionId);
    if (!session) return { ok: false, reason: "unknown_session" };
    if (device !== session.peer && device !== session.initiator) {
      return { ok: false, reason: "not_session_peer" };
    }
    const refusal = this.#issuer.refusalNow(device, session.initiator);
    if (refusal) return refusal;
    if (device === session.peer && !session.holders.has(device)) {
      this.#audit.record(
        "SESSION_JOINED",
        `session=${sessionId} device=${device}`,
      );
    }
    const to = { device, peer: session.initiator, kind: "session" } as const;
    return { ...this.#issuer.hand(session, to), session };
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
    this.#unpaired = null;
  }

  /** The rule without a named peer: take the waiting key, or leave a fresh one waiting. */
  #unpairedKey(request: KeyRequest): KeyOutcome {
    const { device } = request;
    const slot = this.#unpaired;
    if (slot && slot.owner !== device) {
      const refusal = this.#issuer.refusalNow(device, slot.owner);
      if (refusal) return refusal;
      this.#unpaired = null;
      return this.#issuer.hand(slot, {
        device,
        peer: slot.owner,
        kind: "seed",
      });
    }
    const fresh = this.#issuer.mint(request, "*");
    if (!fresh.ok) return fresh;
    this.#unpaired = { ...fresh.shared, owner: device };
    return this.#issuer.hand(fresh.shared, {
      device,
      peer: null,
      kind: "seed",
    });
  }
}
