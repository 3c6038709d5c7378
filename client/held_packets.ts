/**
 * Packets that arrived under an end-to-end key not derived yet: they
 * overtook the handshake, and wait (a while, a bounded number of them) for
 * it to complete.
 *
 * @module
 */

import type { ChatPacket } from "../protocol/mod.ts";

/** Packets held by default; the oldest goes first. */
export const MAX_HELD = 64;
/** How long a packet may wait by default. */
export const HOLD_MS = 15_000;

/** Options for {@linkcode HeldPackets}. */
export interface HeldPacketsOptions {
  /** Most packets held. Default {@linkcode MAX_HELD}. */
  max?: number;
  /** How long a packet may wait. Default {@linkcode HOLD_MS}. */
  holdMs?: number;
  /** Clock in milliseconds. */
  now: () => number;
}

/**
 * Packets waiting for their key.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { HeldPackets } from "./held_packets.ts";
 * let now = 0;
 * const held = new HeldPackets({ max: 2, holdMs: 100, now: () => now });
 * const packet = {
 *   type: "chat" as const,
 *   sender: "Soldier_Bravo",
 *   recipient: "Soldier_Alpha",
 *   nonce: "00".repeat(12),
 *   ciphertext: "00".repeat(16),
 *   timestamp: 0,
 *   id: "m-1",
 *   key_id: "k-1+mlkem",
 *   seq: 0,
 * };
 * held.hold(packet);
 * assertEquals(held.release("k-1+mlkem"), [packet]);
 * held.hold(packet);
 * now = 200;
 * assertEquals(held.expire(), 1);
 * ```
 */
export class HeldPackets {
  readonly #max: number;
  readonly #holdMs: number;
  readonly #now: () => number;
  #held: { packet: ChatPacket; at: number }[] = [];

  /** Holds nothing yet. */
  constructor(options: HeldPacketsOptions) {
    this.#max = options.max ?? MAX_HELD;
    this.#holdMs = options.holdMs ?? HOLD_MS;
    this.#now = options.now;
  }

  /** Keeps `packet` until its key comes or it expires. */
  hold(packet: ChatPacket): void {
    this.#held.push({ packet, at: this.#now() });
    if (this.#held.length > this.#max) this.#held.shift();
  }

  /** Takes out the packets under `keyId`, oldest first. */
  release(keyId: string): ChatPacket[] {
    const released = this.#held.filter((held) => held.packet.key_id === keyId);
    this.#held = this.#held.filter((held) => held.packet.key_id !== keyId);
    return released.map((held) => held.packet);
  }

  /** Drops packets older than the hold time; returns how many. */
  expire(): number {
    const cutoff = this.#now() - this.#holdMs;
    const before = this.#held.length;
    this.#held = this.#held.filter((held) => held.at > cutoff);
    return before - this.#held.length;
  }
}
