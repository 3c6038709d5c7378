/**
 * The squad-room API (`protocol/room_api.ts`): `POST /rooms/join`,
 * `POST /rooms/leave`, `GET /rooms`, `POST /rooms/key`, on a device's
 * bearer token as every pair route (`GET /rooms` lists every room for an
 * operator). Each answer carries the room's signed membership of its
 * current epoch (`protocol/room.ts`, signed with the ticket key, valid as
 * long as a relay ticket); each change is audited with QSEC2's tags and
 * published as a `room` event, never with a key or a key id.
 *
 * @module
 */

import {
  checkRoomName,
  isDeviceId,
  issueMembership,
  MAX_ROOM_CAPACITY,
  MIN_ROOM_CAPACITY,
  type RoomKeyResponse,
  type RoomLeaveResponse,
  type RoomListResponse,
  type RoomState,
} from "../protocol/mod.ts";
import { authenticate, authorizeDevice } from "./caller.ts";
import type { Kms } from "./context.ts";
import { type Body, deviceField, wholeNumberField } from "./fields.ts";
import { HttpError, json, readJsonObject } from "./http.ts";
import { kemKey, refused, wrappedKeyFields } from "./key_routes.ts";
import { MAX_ROOMS_PER_DEVICE, type RoomRecord } from "./room_registry.ts";
import type { Handler } from "./router.ts";

const PURPOSE = "rooms";

/** The room a request names, or a 400 saying why the name is refused. */
function roomField(body: Body): string {
  const checked = checkRoomName(body.room);
  if (!checked.ok) {
    throw new HttpError(400, "bad_field", { message: checked.message });
  }
  return checked.room;
}

/** A room as its members see it, with its membership signed now. */
async function roomState(kms: Kms, record: RoomRecord): Promise<RoomState> {
  const membership = await issueMembership(kms.ticketKey, {
    ...record,
    now: Date.now() / 1000,
    lifetimeSeconds: kms.config.ticketLifetimeSeconds,
  });
  return {
    ...record,
    ready: record.members.length === record.expected,
    membership,
  };
}

function publishRoom(
  kms: Kms,
  record: RoomRecord,
  terminated: boolean,
): void {
  kms.hub.publish({
    event: "room",
    data: {
      ...record,
      ready: record.members.length === record.expected,
      terminated,
    },
  });
}

/**
 * A device's rows: it can join and leave at will, so they are rate-limited
 * per device, as its key requests are.
 */
function audit(kms: Kms, row: { tag: string; message: string; by: string }) {
  kms.audit.limited(row.tag, row.message, { source: `device=${row.by}` });
}

/**
 * Every room moves to its next epoch and its key goes (`reason` on the
 * `KEY_DESTROYED` rows): a link reset, whose members then re-key.
 */
export function rekeyRooms(kms: Kms, reason: string): void {
  kms.roomKeys.destroyAll(reason);
  for (const record of kms.rooms.bumpAll()) publishRoom(kms, record, false);
}

/** `POST /rooms/join {device_id, room, expected?}` → `RoomState`. */
export const joinRoom: Handler = async (request, context) => {
  const { kms } = context;
  const body = await readJsonObject(request);
  const device = deviceField(body, ["device_id"])!;
  const room = roomField(body);
  const expected = wholeNumberField(body, "expected", {
    min: MIN_ROOM_CAPACITY,
    max: MAX_ROOM_CAPACITY,
  });
  authorizeDevice(request, context, { device, purpose: PURPOSE });
  const joined = kms.rooms.join({ device, room, expected });
  if (!joined.ok) {
    switch (joined.reason) {
      case "capacity_required":
        throw new HttpError(400, "missing_field", {
          message:
            `room ${room} does not exist: creating it needs expected, its capacity (${MIN_ROOM_CAPACITY} to ${MAX_ROOM_CAPACITY} members)`,
        });
      case "too_many_rooms":
        throw new HttpError(409, "too_many_rooms", {
          message:
            `${device} is in ${MAX_ROOMS_PER_DEVICE} rooms already: leave one first`,
        });
      case "full":
        throw new HttpError(409, "room_full", {
          message:
            `room ${room} is full: ${joined.record.members.length} of ${joined.record.expected} members`,
        });
    }
  }
  const { record, change } = joined;
  if (change !== "none") {
    if (change === "created") {
      audit(kms, {
        tag: "ROOM_CREATED",
        message: `room=${room} leader=${device} expected=${record.expected}`,
        by: device,
      });
    }
    const n = record.members.length;
    audit(kms, {
      tag: "USER_JOIN",
      message: `room=${room} device=${device} members=${n}/${record.expected}`,
      by: device,
    });
    if (n === record.expected) {
      audit(kms, {
        tag: "ROOM_READY",
        message: `room=${room} members=${n}`,
        by: device,
      });
    }
    kms.roomKeys.destroy(room, { reason: "join", by: device });
    publishRoom(kms, record, false);
  }
  return json(await roomState(kms, record));
};

/** `POST /rooms/leave {device_id, room}` → `RoomLeaveResponse`. */
export const leaveRoom: Handler = async (request, context) => {
  const { kms } = context;
  const body = await readJsonObject(request);
  const device = deviceField(body, ["device_id"])!;
  const room = roomField(body);
  authorizeDevice(request, context, { device, purpose: PURPOSE });
  const left = kms.rooms.leave({ device, room });
  if (!left.ok) {
    throw new HttpError(404, left.reason, {
      message: left.reason === "no_room"
        ? `no room ${room}`
        : `${device} is not a member of room ${room}`,
    });
  }
  const { record, terminated } = left;
  audit(kms, {
    tag: "USER_LEAVE",
    message: `room=${room} device=${device}`,
    by: device,
  });
  kms.roomKeys.destroy(room, {
    reason: terminated ? "terminated" : "leave",
    by: device,
  });
  if (terminated) {
    audit(kms, { tag: "ROOM_TERMINATED", message: `room=${room}`, by: device });
  }
  publishRoom(kms, record, terminated);
  return json(
    {
      ...await roomState(kms, record),
      terminated,
    } satisfies RoomLeaveResponse,
  );
};

/**
 * `GET /rooms[?device_id=D]` → `RoomListResponse`: a device's own rooms
 * (the device of its token, which `device_id` must match); an operator's
 * (and any caller's under `--open`): every room, or `device_id`'s.
 */
export const listRooms: Handler = async (request, context) => {
  const { kms } = context;
  const asked = new URL(request.url).searchParams.get("device_id");
  if (asked !== null && !isDeviceId(asked)) {
    throw new HttpError(400, "bad_field", {
      message: "device_id must be 1 to 64 characters from A-Z a-z 0-9 _ . -",
    });
  }
  let device = asked ?? undefined;
  if (!kms.config.open) {
    const caller = authenticate(request, context);
    if (caller.role === "device") {
      if (asked !== null) {
        authorizeDevice(request, context, { device: asked, purpose: PURPOSE });
      }
      device = caller.name;
    }
  }
  const rooms = await Promise.all(
    kms.rooms.list(device).map((record) => roomState(kms, record)),
  );
  return json({ rooms } satisfies RoomListResponse);
};

/**
 * `POST /rooms/key {device_id, room, epoch, kem_public_key}` →
 * `RoomKeyResponse`, or the link's refusal as `/get_session_key` sends it.
 */
export const roomKey: Handler = async (request, context) => {
  const { kms } = context;
  const body = await readJsonObject(request);
  const device = deviceField(body, ["device_id"])!;
  const room = roomField(body);
  const epoch = wholeNumberField(body, "epoch", { min: 0 });
  const kem = kemKey(body);
  if (epoch === undefined || !kem) {
    throw new HttpError(400, "missing_field", {
      message: epoch === undefined
        ? "epoch is required (the room's current epoch)"
        : "kem_public_key is required (base64 ML-KEM-768 encapsulation key, fresh for this request)",
    });
  }
  authorizeDevice(request, context, { device, purpose: PURPOSE });
  const record = kms.rooms.get(room);
  if (!record) {
    throw new HttpError(404, "no_room", { message: `no room ${room}` });
  }
  if (!record.members.includes(device)) {
    throw new HttpError(403, "not_member", {
      message: `${device} is not a member of room ${room}`,
    });
  }
  if (epoch !== record.epoch) {
    return json({
      error: "stale_epoch",
      message:
        `room ${room} is at epoch ${record.epoch}, not ${epoch}: fetch its membership again (GET /rooms) and re-key`,
      epoch: record.epoch,
    }, { status: 409 });
  }
  const issued = kms.roomKeys.issue(record, device);
  if (!issued.ok) return refused(issued, { kms, device });
  let wrapped;
  try {
    wrapped = await wrappedKeyFields(issued, { device, kem });
  } finally {
    issued.key.fill(0);
  }
  audit(kms, {
    tag: "ROOMKEY_ENCRYPTED",
    message: `room=${room} epoch=${epoch} to=${device}`,
    by: device,
  });
  return json(
    {
      room,
      epoch,
      key_id: issued.keyId,
      ...wrapped,
      qber: issued.qber,
      // The link's refusal came first: a key leaves only GREEN or YELLOW.
      status: issued.status as RoomKeyResponse["status"],
    } satisfies RoomKeyResponse,
  );
};
