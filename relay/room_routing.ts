/**
 * Room frames: `room_join` and `room_leave` carry the KMS's signed
 * membership, which the relay verifies offline with the KMS's public ticket
 * key (protocol `verifyMembership`: Ed25519 via WebCrypto under the context
 * `qstcs-room-membership-v1`) and keeps per room at its highest epoch;
 * `room_chat` frames go byte for byte to every other member of that
 * membership, or to the one member in `to`: handed to its socket when it is
 * online and reading, else queued in its own queue within the limits and
 * the sender's share, with one ack that counts them. `room_presence` tells
 * the online members who of them is online. `watch` narrows a connection's
 * presence (presence.ts).
 *
 * The relay reads of a `room_chat` frame only its type, sender, room, id
 * and `to`; it holds no room key, no sender key, no plaintext.
 *
 * @module
 */

import {
  type DropReason,
  type MembershipRefusal,
  type QueueReason,
  type RoomChatRouting,
  type RoomEnvelope,
  type RoomMembership,
  verifyMembership,
} from "../protocol/mod.ts";
import type { Connection } from "./connection.ts";
import { roomPresenceFrame } from "./frames.ts";
import type { HubState } from "./hub_state.ts";
import { increment } from "./metrics.ts";
import { MAX_ROOMS, type Room } from "./rooms.ts";
import { ack, type Handover, handOver } from "./routing.ts";

/** A room frame to handle: its routing fields and the text to forward. */
export interface RoomArrival {
  /** The routing fields `readEnvelope` returned. */
  envelope: RoomEnvelope;
  /** The frame exactly as received. */
  text: string;
}

type MembershipEnvelope = Extract<
  RoomEnvelope,
  { type: "room_join" | "room_leave" }
>;

/**
 * Why rooms are off on a relay started `--open` without the KMS's key:
 * without it no membership can be verified, and an unverified one would let
 * anyone name themselves a member and collect the room's frames.
 */
export const ROOMS_NEED_KEY =
  "this relay runs --open without the KMS's ticket key, so it cannot " +
  "verify room memberships: rooms need a relay started with --ticket-key " +
  "or --kms";

const MEMBERSHIP_REFUSED: Record<MembershipRefusal, string> = {
  malformed: "it is malformed",
  bad_signature:
    "it is not signed by this relay's KMS (forged, or from another KMS)",
  expired: "it has expired: ask the KMS for a fresh one (GET /rooms)",
  not_yet_valid: "it is not valid yet: check the clocks of KMS and relay",
};

/**
 * Handles a registered connection's room frame or `watch`. Returns a
 * promise while a membership's signature is being checked (the hub holds
 * the connection's next frames until then), else `undefined`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { DEFAULT_LIMITS } from "./config.ts";
 * import { Connection } from "./connection.ts";
 * import { HubState } from "./hub_state.ts";
 * import { receiveRoomFrame } from "./room_routing.ts";
 *
 * const hub = new HubState({ limits: DEFAULT_LIMITS, open: true });
 * const sent: string[] = [];
 * const peer = {
 *   readyState: 1,
 *   bufferedAmount: 0,
 *   send: (text: string) => sent.push(text),
 *   close() {},
 * };
 * const alpha = new Connection(peer, {
 *   number: 1,
 *   label: "a",
 *   rateLimit: 10,
 *   now: 0,
 *   nonce: "n",
 * });
 * hub.devices.add("Alpha", alpha);
 * const envelope = { type: "room_join" as const, room: "squad1", membership: "x.y" };
 * receiveRoomFrame(hub, alpha, { envelope, text: JSON.stringify(envelope) });
 * assertEquals(JSON.parse(sent[0]).code, "room_refused");
 * ```
 */
export function receiveRoomFrame(
  hub: HubState,
  conn: Connection,
  arrival: RoomArrival,
): Promise<void> | undefined {
  const { envelope } = arrival;
  if (envelope.type === "watch") {
    hub.devices.watch(conn, envelope.devices);
  } else if (envelope.type === "room_chat") {
    relayRoomChat(hub, conn, { envelope, text: arrival.text });
  } else {
    return checkMembership(hub, conn, envelope);
  }
}

/** Sends `room_presence` for every room whose member came or went. */
export function sendPendingRoomPresence(hub: HubState): void {
  for (const room of hub.rooms.takePending()) sendRoomPresence(hub, room);
}

function checkMembership(
  hub: HubState,
  conn: Connection,
  envelope: MembershipEnvelope,
): Promise<void> | undefined {
  const { kmsKey } = hub.admission;
  if (!kmsKey) {
    refuseRoom(hub, conn, ROOMS_NEED_KEY);
    return;
  }
  const now = hub.admission.unixNow();
  const held = hub.rooms.get(envelope.room);
  // The text the relay verified before needs no second verification.
  if (
    held?.text === envelope.membership && !hub.rooms.isExpired(held, now)
  ) {
    settle(hub, conn, { envelope, membership: held.membership });
    return;
  }
  if (!conn.signatureChecks.take(hub.now())) {
    hub.refuse(conn, {
      code: "rate_limited",
      message: "too many room memberships to verify: wait a second",
    });
    return;
  }
  return verifyMembership(envelope.membership, { kmsKey, now }).then(
    (checked) => {
      if (conn.closed) return;
      if (!checked.ok) {
        refuseRoom(
          hub,
          conn,
          `membership of room ${envelope.room} refused: ` +
            MEMBERSHIP_REFUSED[checked.reason],
        );
        return;
      }
      settle(hub, conn, { envelope, membership: checked.membership });
    },
  );
}

// Applies a verified membership: the sender must be in it to join and out
// of it to leave; the registry keeps the higher epoch; a change goes to
// every online member, a join that changes nothing to the joiner.
function settle(
  hub: HubState,
  conn: Connection,
  verified: { envelope: MembershipEnvelope; membership: RoomMembership },
): void {
  const { envelope, membership } = verified;
  const device = conn.deviceId!;
  const { room } = envelope;
  const joining = envelope.type === "room_join";
  if (membership.room !== room) {
    refuseRoom(
      hub,
      conn,
      `the membership is of room ${membership.room}, not ${room}`,
    );
    return;
  }
  const member = membership.members.includes(device);
  if (joining !== member) {
    refuseRoom(
      hub,
      conn,
      joining
        ? `${device} is not a member of room ${room} at epoch ${membership.epoch}`
        : `${device} is still a member of room ${room} at epoch ` +
          `${membership.epoch}: a leave carries the membership without it ` +
          "(the KMS's answer to POST /rooms/leave)",
    );
    return;
  }
  const offered = hub.rooms.offer(membership, envelope.membership);
  if (offered.kind === "full") {
    refuseRoom(
      hub,
      conn,
      `this relay holds the most rooms it can (${MAX_ROOMS})`,
    );
    return;
  }
  if (offered.kind === "older") {
    const newer = offered.room.membership;
    if (newer.members.includes(device) !== joining) {
      refuseRoom(
        hub,
        conn,
        `room ${room} is at epoch ${newer.epoch} here, where ${device} is ` +
          (joining
            ? "not a member"
            : "still a member: send the newest membership"),
      );
      return;
    }
  }
  if (joining) hub.counters.roomJoins++;
  else hub.counters.roomLeaves++;
  if (offered.kind === "stored" || offered.kind === "terminated") {
    hub.cluster?.shareMembership(room, envelope.membership);
  }
  if (offered.kind === "terminated") {
    hub.log(
      `room ${room} epoch ${membership.epoch}: ${device} left, room closed`,
    );
    return;
  }
  const held = offered.room;
  if (offered.kind === "stored") {
    hub.log(
      `room ${room} epoch ${held.membership.epoch}: ${device} ` +
        `${
          joining ? "joined" : "left"
        }, ${held.membership.members.length} members`,
    );
    sendRoomPresence(hub, held);
  } else if (joining) {
    sendRoomPresence(hub, held, conn);
  }
}

function relayRoomChat(
  hub: HubState,
  conn: Connection,
  arrival: { envelope: RoomChatRouting; text: string },
): void {
  const { sender, room: name, id, to } = arrival.envelope;
  if (hub.spoofed(conn, sender)) return;
  const room = hub.rooms.get(name);
  if (!room) {
    refuseRoom(
      hub,
      conn,
      hub.admission.kmsKey
        ? `unknown room ${name}: send room_join with its membership first`
        : ROOMS_NEED_KEY,
    );
    return;
  }
  const { members, epoch } = room.membership;
  if (hub.rooms.isExpired(room, hub.admission.unixNow())) {
    refuseRoom(
      hub,
      conn,
      `the membership of room ${name} has expired: join again with a fresh ` +
        "one from the KMS (GET /rooms)",
    );
  } else if (!members.includes(sender)) {
    refuseRoom(
      hub,
      conn,
      `${sender} is not a member of room ${name} at epoch ${epoch}`,
    );
  } else if (to !== undefined && (to === sender || !members.includes(to))) {
    refuseRoom(
      hub,
      conn,
      `${to} is not another member of room ${name} at epoch ${epoch}`,
    );
  } else {
    fanOut(hub, conn, { room, id, text: arrival.text, to });
  }
}

function fanOut(
  hub: HubState,
  conn: Connection,
  frame: { room: Room; id: string; text: string; to?: string },
): void {
  const sender = conn.deviceId!;
  const copy = { text: frame.text, sender };
  const recipients = frame.to === undefined
    ? frame.room.membership.members
    : [frame.to];
  const outcomes = recipients.filter((member) => member !== sender).map((
    member,
  ) => handOver(hub, member, copy));
  if (outcomes.every((outcome) => typeof outcome === "string")) {
    settleFanOut(hub, conn, { ...frame, outcomes });
  } else {
    Promise.all(outcomes).then((outcomes) =>
      settleFanOut(hub, conn, { ...frame, outcomes })
    );
  }
}

// The one ack of a room frame, with the counts of its copies.
function settleFanOut(
  hub: HubState,
  conn: Connection,
  frame: { room: Room; id: string; outcomes: Handover[] },
): void {
  let delivered = 0;
  let queued = 0;
  let dropped = 0;
  let queueReason: QueueReason | undefined;
  let dropReason: DropReason = "no_recipients";
  for (const outcome of frame.outcomes) {
    if (outcome === "delivered") {
      delivered++;
    } else if (outcome === "offline" || outcome === "backpressure") {
      queued++;
      if (queueReason !== "offline") queueReason = outcome;
    } else {
      dropped++;
      dropReason = outcome;
    }
  }
  if (delivered + queued + dropped === 0) {
    increment(hub.counters.dropped, dropReason);
  }
  const status = queued > 0
    ? "queued"
    : delivered > 0
    ? "delivered"
    : "dropped";
  ack(hub, conn, {
    id: frame.id,
    status,
    reason: status === "queued"
      ? queueReason
      : status === "dropped" || dropped > 0
      ? dropReason
      : undefined,
    delivered,
    queued,
    dropped,
  });
  hub.counters.roomFrames++;
  hub.counters.roomCopiesDelivered += delivered;
  hub.counters.roomCopiesQueued += queued;
  hub.roomTraffic.count(frame.room.name, delivered + queued);
}

/** Sends `room_presence` to the room's online members here, or to `only`. */
export function sendRoomPresence(
  hub: HubState,
  room: Room,
  only?: Connection,
): void {
  const online = room.membership.members.filter((member) =>
    hub.devices.isOnline(member)
  );
  const frame = roomPresenceFrame({
    room: room.name,
    epoch: room.membership.epoch,
    membership: room.text,
    online,
  });
  if (only) {
    hub.sendControl(only, frame);
    return;
  }
  // Members held by other relay nodes hear it from theirs.
  for (const member of online) {
    const conn = hub.devices.get(member);
    if (conn) hub.sendControl(conn, frame);
  }
}

function refuseRoom(hub: HubState, conn: Connection, message: string): void {
  hub.refuse(conn, { code: "room_refused", message });
}
