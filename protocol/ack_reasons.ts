/**
 * What the relay's acks say became of a frame, and why (protocol/types.ts
 * re-exports them with the frames they belong to).
 *
 * @module
 */

/** What became of a chat frame, as reported to its sender. */
export type AckStatus = "delivered" | "queued" | "dropped";

/** Why the relay queued a frame rather than delivering it. */
export type QueueReason = "offline" | "backpressure";

/** Why the relay dropped a frame. */
export type DropReason =
  | "queue_full"
  | "queue_bytes"
  | "relay_full"
  | "expired"
  | "rate_limited"
  | "backpressure"
  | "no_recipients"
  /** A relay cluster's NATS did not answer: nothing says where it went. */
  | "unavailable";
