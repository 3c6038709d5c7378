/**
 * NATS subjects and key names of the relay cluster. Device ids and room
 * names may contain `.`, which NATS reads as a token separator, so every id
 * goes into a subject through {@linkcode subjectToken}: `_` becomes `__` and
 * `.` becomes `_d`. The mapping is injective (no two ids share a token), its
 * output is a valid subject token, JetStream consumer name and KV key, and it
 * never produces `_relay`, which stays free as a reserved token.
 *
 * @module
 */

/**
 * The subject token of a device id, room name or node id.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { subjectToken } from "./subject_token.ts";
 *
 * assertEquals(subjectToken("Soldier_Alpha.2"), "Soldier__Alpha_d2");
 * assertEquals(subjectToken("a._"), "a_d__");
 * ```
 */
export function subjectToken(id: string): string {
  return id.replace(/[_.]/g, (c) => c === "_" ? "__" : "_d");
}

/** The subjects, stream and buckets every node of a cluster uses. */
export const SUBJECTS = {
  /** The stream of frames waiting for devices. */
  queueStream: "QSTCS_QUEUE",
  /** The KV bucket of device claims: which node holds which device. */
  devicesBucket: "qstcs_devices",
  /** The KV bucket of room memberships, as the KMS signed them. */
  roomsBucket: "qstcs_rooms",
  /** The KV bucket of the queue's bytes per recipient and per sender. */
  usageBucket: "qstcs_queue_usage",
} as const;

/**
 * Live frames for a device, subscribed by the node holding its socket.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { deviceSubject, queueSubject } from "./subject_token.ts";
 *
 * assertEquals(deviceSubject("Bravo_1"), "qstcs.dev.Bravo__1");
 * assertEquals(queueSubject("Bravo_1"), "qstcs.q.Bravo__1");
 * ```
 */
export function deviceSubject(deviceId: string): string {
  return `qstcs.dev.${subjectToken(deviceId)}`;
}

/** Liveness requests for a device, answered by the node holding it. */
export function controlSubject(deviceId: string): string {
  return `qstcs.ctl.${subjectToken(deviceId)}`;
}

/** The stream subject where frames wait for an offline device. */
export function queueSubject(deviceId: string): string {
  return `qstcs.q.${subjectToken(deviceId)}`;
}

/** The prefix of the reply subjects of node `node`'s forwarded frames. */
export function replyPrefix(node: string): string {
  return `qstcs.node.${subjectToken(node)}.r.`;
}

/** Liveness requests for a node, for clearing the claims of a dead one. */
export function nodeSubject(node: string): string {
  return `qstcs.node.${subjectToken(node)}.ping`;
}
