/**
 * Room memberships shared between the nodes of a cluster: a node that
 * stores a membership (a new room, a higher epoch, the end of a room) puts
 * the KMS-signed text in the KV bucket `qstcs_rooms`; every node watches
 * the bucket, verifies each membership again with the KMS's key (a node
 * takes no other node's word) and keeps it if its epoch is higher, telling
 * its own online members. A node started later reads every room there.
 *
 * @module
 */

import { verifyMembership } from "../protocol/mod.ts";
import type { HubState } from "./hub_state.ts";
import type { NatsLink } from "./nats_link.ts";
import { sendRoomPresence } from "./room_routing.ts";
import { subjectToken } from "./subject_token.ts";

/**
 * Starts adopting the memberships other nodes share; returns how this
 * node shares one.
 */
export function shareRooms(
  hub: HubState,
  link: NatsLink,
): (room: string, text: string) => void {
  watch(hub, link).catch(() => {});
  return (room, text) => {
    link.rooms.put(subjectToken(room), text).catch(() => {});
  };
}

async function watch(hub: HubState, link: NatsLink): Promise<void> {
  for await (const entry of await link.rooms.watch()) {
    if (entry.operation === "PUT") await adoptMembership(hub, entry.string());
  }
}

/**
 * Takes a membership another node shared: verified here, kept if newer,
 * then told to this node's online members of the room.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { DEFAULT_LIMITS } from "./config.ts";
 * import { HubState } from "./hub_state.ts";
 * import { adoptMembership } from "./cluster_rooms.ts";
 *
 * const hub = new HubState({ limits: DEFAULT_LIMITS, kmsKey: new Uint8Array(32) });
 * await adoptMembership(hub, "forged.membership");
 * assertEquals(hub.rooms.size, 0);
 * ```
 */
export async function adoptMembership(
  hub: HubState,
  text: string,
): Promise<void> {
  const { kmsKey } = hub.admission;
  if (!kmsKey) return;
  const checked = await verifyMembership(text, {
    kmsKey,
    now: hub.admission.unixNow(),
  });
  if (!checked.ok) return;
  const offered = hub.rooms.offer(checked.membership, text);
  if (offered.kind === "stored") sendRoomPresence(hub, offered.room);
}
