/**
 * The end-to-end channel with one peer: keys by key id, the hybrid
 * ML-KEM-768 handshake, packet encryption and decryption, replay
 * protection. No I/O: the caller sends the packets it returns and fetches
 * the KMS keys it asks for.
 *
 * Two kinds of key protect a conversation:
 * - the KMS key K (key id `k`), which both peers fetch from the KMS. It
 *   protects only the handshake (`kem_offer`, `kem_reply`), so a relay,
 *   which lacks K, cannot step into the ML-KEM exchange;
 * - the hybrid key H = deriveHybridKey(K, ML-KEM shared secret) (key id
 *   `k+mlkem`), which protects messages, files and receipts. The KMS knows
 *   K but not the ML-KEM secret, so it cannot read them by watching.
 *
 * With an `auth` (handshake_auth.ts) each handshake step also carries the
 * sender's relay ticket and Ed25519 signature, and a step that does not
 * check out is dropped before it is answered or completed: whoever holds K
 * (a KMS, or a relay K was given to) cannot swap the ML-KEM key unnoticed.
 *
 * The client that obtained a new KMS key offers a fresh ML-KEM-768 public
 * key under it; the peer encapsulates to it and replies. When both offered
 * for the same key (glare), the offer of the device whose id sorts first
 * wins and the other answers it. The losing offer may still arrive after
 * the winner's handshake completed: it is ignored, or the winner would
 * derive a second hybrid key its peer never learns.
 *
 * @module
 */

import {
  type ChatPacket,
  encryptPacket,
  generateKemKeyPair,
  importPacketKey,
  ReplayGuard,
} from "../protocol/mod.ts";
import { hybridDecapsulate, hybridEncapsulate } from "../quantum/mod.ts";
import { BoundedMap, BoundedSet } from "./bounded.ts";
import { HeldPackets } from "./held_packets.ts";
import {
  type ChannelStatus,
  type Received,
  refused,
} from "./channel_results.ts";
import type { ChannelAuth, HandshakeStep } from "./handshake_auth.ts";
import type { KmsKey } from "./kms_client.ts";
import {
  type ChatPayload,
  type ContentPayload,
  encodePayload,
  type HandshakePayload,
  isHandshake,
} from "./payload.ts";
import { openPayload } from "./packet_open.ts";

/** Suffix of the key id of a hybrid key: `k+mlkem` for KMS key `k`. */
export const HYBRID_SUFFIX = "+mlkem";

/** Keys of each kind remembered, so late packets under older keys still open. */
const MAX_KEYS = 16;

/** Options for {@linkcode SecureChannel}. */
export interface SecureChannelOptions {
  /** This device. */
  deviceId: string;
  /** The peer. */
  peerId: string;
  /** Clock in milliseconds. Default `Date.now`. */
  now?: () => number;
  /**
   * Signs this device's handshake steps and checks the peer's. Without it
   * the handshake is authenticated only by the KMS key.
   */
  auth?: ChannelAuth;
}

interface HeldKmsKey {
  raw: Uint8Array;
  aes: CryptoKey;
  qber: number;
}

interface Offer {
  keyId: string;
  publicKey: string;
  secretKey: Uint8Array;
  sentAt?: number;
}

/**
 * One peer's end-to-end channel.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { SecureChannel } from "./secure_channel.ts";
 * const kmsKey = {
 *   keyId: "k-1",
 *   key: crypto.getRandomValues(new Uint8Array(32)),
 *   qber: 0.02,
 *   status: "GREEN" as const,
 * };
 * const alpha = new SecureChannel({ deviceId: "A", peerId: "B" });
 * const bravo = new SecureChannel({ deviceId: "B", peerId: "A" });
 * await bravo.storeKey(kmsKey);
 * const offer = (await alpha.adoptKey(kmsKey))!;
 * const answer = await bravo.receive(offer);
 * if (answer.kind === "handshake") await alpha.receive(answer.reply!);
 * const packet = (await alpha.seal({ t: "msg", mid: "m-1", text: "hi" }))!;
 * assertEquals((await bravo.receive(packet)).kind, "content");
 * ```
 */
export class SecureChannel {
  readonly #deviceId: string;
  readonly #peerId: string;
  readonly #now: () => number;
  readonly #kmsKeys = new BoundedMap<string, HeldKmsKey>({ max: MAX_KEYS });
  readonly #hybridKeys = new BoundedMap<string, CryptoKey>({ max: MAX_KEYS });
  // The reply given to each KMS key's offer, so a repeated offer gets the
  // same answer instead of a new hybrid key the offerer never derives.
  readonly #answers = new BoundedMap<string, { pk: string; ct: string }>({
    max: MAX_KEYS,
  });
  // KMS key ids whose handshake this channel completed as the offerer.
  readonly #offeredAndDone = new BoundedSet<string>({ max: MAX_KEYS });
  readonly #seq = new BoundedMap<string, number>({ max: 2 * MAX_KEYS });
  readonly #guard = new ReplayGuard({ maxStreams: 4 * MAX_KEYS });
  readonly #held: HeldPackets;
  readonly #auth?: ChannelAuth;
  #current?: string;
  #offer?: Offer;
  #sendKeyId?: string;

  /** Creates a channel with no keys. */
  constructor(options: SecureChannelOptions) {
    this.#deviceId = options.deviceId;
    this.#peerId = options.peerId;
    this.#now = options.now ?? Date.now;
    this.#held = new HeldPackets({ now: this.#now });
    this.#auth = options.auth;
  }

  /** The peer's device id. */
  get peerId(): string {
    return this.#peerId;
  }

  /** Id of the hybrid key messages go out under, if the handshake is done. */
  get sendKeyId(): string | undefined {
    return this.#sendKeyId;
  }

  /** Key ids, QBER and handshake state, for `/status`. */
  get status(): ChannelStatus {
    const current = this.#current === undefined
      ? undefined
      : this.#kmsKeys.get(this.#current);
    return {
      keyId: this.#current,
      qber: current?.qber,
      sendKeyId: this.#sendKeyId,
      offerSentAt: this.#offer?.sentAt,
    };
  }

  /** Whether the KMS key `keyId` is held. */
  hasKey(keyId: string): boolean {
    return this.#kmsKeys.has(keyId);
  }

  /**
   * Keeps a KMS key fetched to read a packet, without making it current.
   */
  async storeKey(key: KmsKey): Promise<void> {
    if (this.#kmsKeys.has(key.keyId)) return;
    this.#kmsKeys.set(key.keyId, {
      raw: key.key.slice(),
      aes: await importPacketKey(key.key),
      qber: key.qber,
    });
  }

  /**
   * Makes a freshly obtained KMS key current and returns the ML-KEM offer
   * to send under it, or `null` when the handshake for it is already done
   * or under way.
   */
  async adoptKey(key: KmsKey): Promise<ChatPacket | null> {
    await this.storeKey(key);
    this.#current = key.keyId;
    const hybridId = key.keyId + HYBRID_SUFFIX;
    if (this.#hybridKeys.has(hybridId)) {
      this.#sendKeyId = hybridId;
      return null;
    }
    if (this.#offer?.keyId === key.keyId) return null;
    const pair = generateKemKeyPair();
    this.#offer = {
      keyId: key.keyId,
      publicKey: pair.publicKey.toBase64(),
      secretKey: pair.secretKey,
    };
    return await this.offer();
  }

  /**
   * The pending ML-KEM offer as a new packet (to send it again), or `null`
   * when none is pending.
   */
  async offer(): Promise<ChatPacket | null> {
    const offer = this.#offer;
    if (!offer) return null;
    offer.sentAt = this.#now();
    return await this.#sealStep(offer.keyId, {
      t: "kem_offer",
      pk: offer.publicKey,
    });
  }

  /**
   * Stops sending under the current keys (the connection dropped or the
   * link went RED) until a new handshake completes. Keys stay, so packets
   * already on their way still open.
   */
  suspend(): void {
    this.#sendKeyId = undefined;
    this.#offer = undefined;
  }

  /**
   * Encrypts a message, file chunk or receipt under the hybrid key, or
   * returns `null` while there is none.
   */
  async seal(
    payload: ContentPayload,
    options: { writtenAt?: number } = {},
  ): Promise<ChatPacket | null> {
    if (this.#sendKeyId === undefined) return null;
    return await this.#seal(this.#sendKeyId, payload, options.writtenAt);
  }

  /** Authenticates and decrypts a packet from the peer and acts on it. */
  async receive(packet: ChatPacket): Promise<Received> {
    const keyId = packet.key_id;
    if (keyId.endsWith(HYBRID_SUFFIX)) {
      const key = this.#hybridKeys.get(keyId);
      if (!key) {
        this.#held.hold(packet);
        return { kind: "held" };
      }
      const opened = await this.#open(key, packet);
      if (!opened.ok) return refused(opened.reason);
      if (isHandshake(opened.payload)) return refused("wrong_key");
      return { kind: "content", payload: opened.payload };
    }
    const kmsKey = this.#kmsKeys.get(keyId);
    if (!kmsKey) return { kind: "need_key", keyId };
    const opened = await this.#open(kmsKey.aes, packet);
    if (!opened.ok) return refused(opened.reason);
    const { payload } = opened;
    if (isHandshake(payload) && !await this.#authentic(keyId, payload)) {
      return { kind: "unauthenticated" };
    }
    // Only the handshake may use the KMS key: whoever holds K alone (the
    // KMS) must not be able to write messages.
    if (payload.t === "kem_offer") {
      return await this.#answer(keyId, { kmsKey, pk: payload.pk });
    }
    if (payload.t === "kem_reply") {
      return await this.#complete(keyId, { kmsKey, ct: payload.ct });
    }
    return refused("wrong_key");
  }

  /** Drops held packets older than the hold time; returns how many. */
  expireHeld(): number {
    return this.#held.expire();
  }

  async #answer(
    keyId: string,
    offer: { kmsKey: HeldKmsKey; pk: string },
  ): Promise<Received> {
    // The peer answered our offer for this key, so the offer it sent too
    // (before it saw ours) is one it has dropped.
    if (this.#offeredAndDone.has(keyId)) return { kind: "ignored" };
    if (this.#offer?.keyId === keyId && this.#deviceId < this.#peerId) {
      // Glare: our offer wins and the peer will answer it. Send it again in
      // case the peer dropped it (it may have been suspended then).
      return { kind: "handshake", reply: (await this.offer())!, released: [] };
    }
    const given = this.#answers.get(keyId);
    if (given?.pk === offer.pk) {
      const reply = await this.#sealStep(keyId, {
        t: "kem_reply",
        ct: given.ct,
      });
      return { kind: "handshake", reply, released: [] };
    }
    let encapsulation;
    try {
      encapsulation = hybridEncapsulate(
        offer.kmsKey.raw,
        Uint8Array.fromBase64(offer.pk),
      );
    } catch {
      return refused("malformed"); // Not a valid ML-KEM-768 public key.
    }
    if (this.#offer?.keyId === keyId) this.#offer = undefined;
    const ct = encapsulation.cipherText.toBase64();
    this.#answers.set(keyId, { pk: offer.pk, ct });
    const reply = await this.#sealStep(keyId, { t: "kem_reply", ct });
    return { ...await this.#establish(keyId, encapsulation.key), reply };
  }

  async #complete(
    keyId: string,
    reply: { kmsKey: HeldKmsKey; ct: string },
  ): Promise<Received> {
    const offer = this.#offer;
    // A reply to an offer this channel dropped or already completed.
    if (offer?.keyId !== keyId) return { kind: "ignored" };
    this.#offer = undefined;
    this.#offeredAndDone.add(keyId);
    const hybrid = hybridDecapsulate(reply.kmsKey.raw, {
      cipherText: Uint8Array.fromBase64(reply.ct),
      secretKey: offer.secretKey,
    });
    return await this.#establish(keyId, hybrid);
  }

  async #establish(
    keyId: string,
    hybrid: Uint8Array,
  ): Promise<Extract<Received, { kind: "handshake" }>> {
    const hybridId = keyId + HYBRID_SUFFIX;
    this.#hybridKeys.set(hybridId, await importPacketKey(hybrid));
    hybrid.fill(0);
    this.#current = keyId;
    this.#sendKeyId = hybridId;
    const released = this.#held.release(hybridId);
    return { kind: "handshake", established: hybridId, released };
  }

  #open(key: CryptoKey, packet: ChatPacket): ReturnType<typeof openPayload> {
    return openPayload(key, packet, { replayGuard: this.#guard });
  }

  // A handshake step, with the proof of this device's identity.
  async #sealStep(
    keyId: string,
    step: HandshakePayload,
  ): Promise<ChatPacket> {
    const proof = await this.#auth?.prove(this.#step(keyId, step, "out"));
    return await this.#seal(keyId, { ...step, ...proof });
  }

  async #authentic(keyId: string, step: HandshakePayload): Promise<boolean> {
    if (!this.#auth) return true;
    const { ticket, sig } = step;
    return await this.#auth.check(this.#step(keyId, step, "in"), {
      ticket,
      sig,
    });
  }

  #step(
    keyId: string,
    step: HandshakePayload,
    way: "in" | "out",
  ): HandshakeStep {
    const [sender, recipient] = way === "out"
      ? [this.#deviceId, this.#peerId]
      : [this.#peerId, this.#deviceId];
    const value = step.t === "kem_offer" ? step.pk : step.ct;
    return { kind: step.t, sender, recipient, keyId, value };
  }

  // `writtenAt` (milliseconds) goes into the packet's authenticated
  // timestamp (seconds): a line sent again still says when it was written.
  async #seal(keyId: string, payload: ChatPayload, writtenAt?: number) {
    const key = keyId.endsWith(HYBRID_SUFFIX)
      ? this.#hybridKeys.get(keyId)
      : this.#kmsKeys.get(keyId)?.aes;
    if (!key) throw new Error(`no key ${keyId} to encrypt under`);
    const seq = this.#seq.get(keyId) ?? 0;
    this.#seq.set(keyId, seq + 1);
    return await encryptPacket(key, encodePayload(payload), {
      sender: this.#deviceId,
      recipient: this.#peerId,
      keyId,
      seq,
      timestamp: writtenAt && Math.floor(writtenAt / 1000),
    });
  }
}
