/**
 * What a secure channel tells its user: what became of a received packet,
 * and its state without key material.
 *
 * @module
 */

import type { ChatPacket } from "../protocol/mod.ts";
import type { ContentPayload } from "./payload.ts";

/** What became of a received packet. */
export type Received =
  | {
    /** A message, attachment chunk or receipt from the peer. */
    kind: "content";
    /** The decrypted payload. */
    payload: ContentPayload;
  }
  | {
    /** A handshake step. */
    kind: "handshake";
    /** Packet to send back, if any. */
    reply?: ChatPacket;
    /** Key id of the hybrid key the step completed, if it did. */
    established?: string;
    /** Packets that were waiting for that key: receive them again. */
    released: ChatPacket[];
  }
  | {
    /** The packet is under a KMS key this channel lacks: fetch it, then retry. */
    kind: "need_key";
    /** The KMS key id to fetch. */
    keyId: string;
  }
  | {
    /** Held until the handshake for its hybrid key completes. */
    kind: "held";
  }
  | {
    /** Dropped on purpose (a stale or losing handshake step); nothing to say. */
    kind: "ignored";
  }
  | {
    /**
     * A handshake step whose ticket or signature does not check out, or from
     * a peer whose key changed: dropped; the authentication said why.
     */
    kind: "unauthenticated";
  }
  | {
    /**
     * Refused: `tampered` (failed authentication), `replay` (a sequence
     * number seen before), `malformed` (authentic but not a valid
     * payload), `wrong_key` (a kind under the wrong sort of key).
     */
    kind: "refused";
    /** Which refusal. */
    reason: "tampered" | "replay" | "malformed" | "wrong_key";
  };

/** What the channel can tell about itself, without key material. */
export interface ChannelStatus {
  /** Id of the KMS key most recently adopted. */
  keyId?: string;
  /** Its QBER, 0 to 1. */
  qber?: number;
  /** Id of the hybrid key messages are sent under, when there is one. */
  sendKeyId?: string;
  /** When the pending ML-KEM offer was last sent (clock of the channel). */
  offerSentAt?: number;
}

/**
 * A refusal of a received packet.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { refused } from "./channel_results.ts";
 * assertEquals(refused("replay"), { kind: "refused", reason: "replay" });
 * ```
 */
export function refused(
  reason: Extract<Received, { kind: "refused" }>["reason"],
): Extract<Received, { kind: "refused" }> {
  return { kind: "refused", reason };
}
