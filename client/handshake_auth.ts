/**
 * Authentication of the end-to-end handshake: every `kem_offer` and
 * `kem_reply` carries the sender's relay ticket (the KMS's certificate of
 * its identity key) and its Ed25519 signature over the step's sender,
 * recipient, KMS key id and ML-KEM public key or ciphertext. The receiver
 * checks the ticket against the KMS's ticket key and the signature against
 * the ticket's key, then pins that key on first use (as SSH and Signal do):
 * a KMS and relay that cooperate can no longer swap the ML-KEM key
 * unnoticed, and a KMS that certifies another key for a known peer is
 * caught as a changed key, which stops chat with that peer until the
 * soldier compares safety numbers (`/verify`) and accepts it (`/trust`).
 *
 * @module
 */

import {
  type Identity,
  safetyNumber,
  signMessage,
  type TicketRefusal,
  verifyMessage,
  verifyTicket,
} from "../protocol/mod.ts";
import { BoundedSet } from "./bounded.ts";
import { sameBytes } from "./bytes.ts";
import type { HandshakeProof } from "./payload.ts";

/** Signing contexts of the two steps. */
export const HANDSHAKE_CONTEXTS = {
  kem_offer: "qstcs-kem-offer-v1",
  kem_reply: "qstcs-kem-reply-v1",
} as const;

/** One handshake step, as signed. */
export interface HandshakeStep {
  /** Which step. */
  kind: keyof typeof HANDSHAKE_CONTEXTS;
  /** Who sends it. */
  sender: string;
  /** To whom. */
  recipient: string;
  /** The KMS key it travels under. */
  keyId: string;
  /** The ML-KEM public key (offer) or ciphertext (reply), base64. */
  value: string;
}

/**
 * Why a step was refused: unsigned, its ticket refused (`ticket_` and
 * verifyTicket's reason), or its signature wrong.
 */
export type HandshakeRefusal =
  | "unsigned"
  | `ticket_${TicketRefusal}`
  | "bad_signature";

/** What the authentication reports. */
export type TrustEvent =
  | {
    /** No ticket key (a KMS without tickets): accepted, not authenticated. */
    kind: "handshake_unauthenticated";
    /** The peer. */
    peer: string;
  }
  | {
    /** First contact: the peer's certified key is pinned. */
    kind: "peer_pinned";
    /** The peer. */
    peer: string;
  }
  | {
    /** The peer's certified key is not the pinned one: chat stops. */
    kind: "peer_key_changed";
    /** The peer. */
    peer: string;
  }
  | {
    /** A step whose ticket or signature does not check out. */
    kind: "handshake_refused";
    /** The peer named as sender. */
    peer: string;
    /** Why. */
    why: HandshakeRefusal;
  };

/** What the secure channel asks of the authentication. */
export interface ChannelAuth {
  /** The proof to send with a step of this device. */
  prove(step: HandshakeStep): Promise<HandshakeProof>;
  /** Whether a peer's step is authentic (and its key trusted). */
  check(step: HandshakeStep, proof: HandshakeProof): Promise<boolean>;
  /** Whether chat with `peer` waits for `/trust` (its key changed). */
  blocked(peer: string): boolean;
}

/** What `/verify` shows. */
export interface SafetyNumbers {
  /** With the pinned key, if one is. */
  pinned?: string;
  /** With a changed key waiting for `/trust`, if one is. */
  changed?: string;
}

/**
 * What `/trust` did: pinned the changed key, or not because none waits or
 * because `/verify` has not shown the one waiting.
 */
export type TrustResult =
  | { ok: true }
  | { ok: false; reason: "nothing_to_trust" | "not_verified" };

/** Options for {@linkcode HandshakeAuth}. */
export interface HandshakeAuthOptions {
  /** This device's identity. */
  identity: Identity;
  /** The KMS's ticket key and this device's current ticket. */
  tickets: {
    readonly kmsKey: Uint8Array | undefined;
    readonly ticket: string | undefined;
  };
  /** The peers' pinned keys. */
  pins: {
    peer(peer: string): Uint8Array | undefined;
    pinPeer(peer: string, key: Uint8Array): Promise<void>;
  };
  /** Told of every event (each said once until the peer checks out). */
  onEvent: (event: TrustEvent) => void;
  /** Clock in milliseconds. Default `Date.now`. */
  now?: () => number;
}

const BASE64URL = { alphabet: "base64url", omitPadding: true } as const;
const encoder = new TextEncoder();

/**
 * Signs this device's handshake steps and checks its peers'.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { generateIdentity, issueTicket } from "../protocol/mod.ts";
 * import { HandshakeAuth } from "./handshake_auth.ts";
 *
 * const kms = await generateIdentity();
 * const device = async (name: string) => {
 *   const identity = await generateIdentity();
 *   const ticket = await issueTicket(kms, {
 *     deviceId: name, publicKey: identity.publicKey, now: Date.now() / 1000, lifetimeSeconds: 60,
 *   });
 *   const pinned = new Map<string, Uint8Array>();
 *   return new HandshakeAuth({
 *     identity,
 *     tickets: { kmsKey: kms.publicKey, ticket },
 *     pins: { peer: (p) => pinned.get(p), pinPeer: async (p, k) => void pinned.set(p, k) },
 *     onEvent: () => {},
 *   });
 * };
 * const [alpha, bravo] = [await device("A"), await device("B")];
 * const step = { kind: "kem_offer", sender: "A", recipient: "B", keyId: "k", value: "pk" } as const;
 * const proof = await alpha.prove(step);
 * assertEquals(await bravo.check(step, proof), true);
 * assertEquals(await bravo.check({ ...step, value: "swapped" }, proof), false);
 * ```
 */
export class HandshakeAuth implements ChannelAuth {
  readonly #options: HandshakeAuthOptions;
  readonly #now: () => number;
  // Changed keys waiting for /trust, by peer.
  readonly #changed = new Map<string, Uint8Array>();
  // The changed key whose safety number /verify last showed, by peer: the
  // only one /trust pins, so a key swapped after the soldiers compared
  // numbers is not accepted unseen.
  readonly #shown = new Map<string, Uint8Array>();
  // What was said about each peer, so a re-sent offer is not said again.
  readonly #said = new BoundedSet<string>({ max: 256 });

  /** Creates the authentication for this device. */
  constructor(options: HandshakeAuthOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  async prove(step: HandshakeStep): Promise<HandshakeProof> {
    const { ticket } = this.#options.tickets;
    if (ticket === undefined) return {};
    const signature = await signMessage(this.#options.identity, {
      context: HANDSHAKE_CONTEXTS[step.kind],
      message: signedBytes(step),
    });
    return { ticket, sig: signature.toBase64(BASE64URL) };
  }

  async check(step: HandshakeStep, proof: HandshakeProof): Promise<boolean> {
    const peer = step.sender;
    const kmsKey = this.#options.tickets.kmsKey;
    if (kmsKey === undefined) {
      this.#sayOnce({ kind: "handshake_unauthenticated", peer });
      return true;
    }
    const key = await this.#certifiedKey(step, { kmsKey, proof });
    if (!key.ok) {
      this.#sayOnce({ kind: "handshake_refused", peer, why: key.reason });
      return false;
    }
    const pinned = this.#options.pins.peer(peer);
    if (pinned === undefined) {
      await this.#options.pins.pinPeer(peer, key.publicKey);
      this.#sayOnce({ kind: "peer_pinned", peer });
    } else if (!sameBytes(pinned, key.publicKey)) {
      const known = this.#changed.get(peer);
      if (!known || !sameBytes(known, key.publicKey)) {
        this.#changed.set(peer, key.publicKey);
        this.#options.onEvent({ kind: "peer_key_changed", peer });
      }
      return false;
    }
    this.#forgetSaid(peer);
    return true;
  }

  blocked(peer: string): boolean {
    return this.#changed.has(peer);
  }

  /**
   * Pins `peer`'s changed key, if it is the one whose safety number
   * {@linkcode HandshakeAuth.safetyNumbers} last showed (the soldiers
   * compared that number, not whatever key waits now).
   */
  async trust(peer: string): Promise<TrustResult> {
    const key = this.#changed.get(peer);
    if (key === undefined) return { ok: false, reason: "nothing_to_trust" };
    const shown = this.#shown.get(peer);
    if (!shown || !sameBytes(shown, key)) {
      return { ok: false, reason: "not_verified" };
    }
    await this.#options.pins.pinPeer(peer, key);
    this.#changed.delete(peer);
    this.#shown.delete(peer);
    this.#forgetSaid(peer);
    return { ok: true };
  }

  /** The safety numbers of this device with `peer`'s keys. */
  async safetyNumbers(peer: string): Promise<SafetyNumbers> {
    const own = this.#options.identity.publicKey;
    const pinned = this.#options.pins.peer(peer);
    const changed = this.#changed.get(peer);
    if (changed) this.#shown.set(peer, changed);
    return {
      ...(pinned ? { pinned: await safetyNumber(own, pinned) } : {}),
      ...(changed ? { changed: await safetyNumber(own, changed) } : {}),
    };
  }

  async #certifiedKey(
    step: HandshakeStep,
    given: { kmsKey: Uint8Array; proof: HandshakeProof },
  ): Promise<
    { ok: true; publicKey: Uint8Array } | {
      ok: false;
      reason: HandshakeRefusal;
    }
  > {
    const { ticket, sig } = given.proof;
    if (ticket === undefined || sig === undefined) {
      return { ok: false, reason: "unsigned" };
    }
    const checked = await verifyTicket(ticket, {
      kmsKey: given.kmsKey,
      now: this.#now() / 1000,
      deviceId: step.sender,
    });
    if (!checked.ok) return { ok: false, reason: `ticket_${checked.reason}` };
    let signature: Uint8Array;
    try {
      signature = Uint8Array.fromBase64(sig, BASE64URL);
    } catch {
      return { ok: false, reason: "bad_signature" };
    }
    const authentic = await verifyMessage(checked.publicKey, {
      context: HANDSHAKE_CONTEXTS[step.kind],
      message: signedBytes(step),
      signature,
    });
    return authentic
      ? { ok: true, publicKey: checked.publicKey }
      : { ok: false, reason: "bad_signature" };
  }

  #sayOnce(event: TrustEvent): void {
    const said = `${event.peer}|${event.kind}|${
      "why" in event ? event.why : ""
    }`;
    if (this.#said.has(said)) return;
    this.#said.add(said);
    this.#options.onEvent(event);
  }

  #forgetSaid(peer: string): void {
    for (const said of [...this.#said]) {
      if (said.startsWith(`${peer}|handshake_refused`)) this.#said.delete(said);
    }
  }
}

function signedBytes(step: HandshakeStep): Uint8Array {
  return encoder.encode(
    JSON.stringify([step.sender, step.recipient, step.keyId, step.value]),
  );
}
