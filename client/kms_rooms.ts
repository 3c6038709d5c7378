/**
 * Squad rooms at the KMS: join (creating the room with its capacity),
 * leave, list this device's rooms, and the room key of an epoch, wrapped to
 * a fresh ML-KEM-768 key exactly as pair keys are (`readWrappedKey`).
 *
 * The KMS is the authority on membership and epochs; every answer is
 * checked field by field before the client acts on it. Refusals the KMS
 * explains (a full room, not a member, a stale epoch) are results with the
 * KMS's sentence; a KMS that cannot be reached or answers nonsense is a
 * {@linkcode KmsError}, as for every other KMS call.
 *
 * @module
 */

import {
  checkRoomName,
  generateKemKeyPair,
  isDeviceId,
  isRoomCapacity,
  type LinkStatus,
  type RoomJoinRequest,
  type RoomKeyRequest,
  type RoomLeaveRequest,
  type RoomState,
} from "../protocol/mod.ts";
import { type KmsKey, readWrappedKey } from "./kms_client.ts";
import {
  call,
  describe,
  headers,
  type KmsCallOptions,
  KmsError,
} from "./kms_http.ts";

/** Why the KMS refused a room request. */
export type RoomRefusalReason =
  /** 400: a bad name or capacity. */
  | "bad_request"
  /** 401: no token, or an unknown one. */
  | "unauthorized"
  /** 403: not a member (or not this device's token). */
  | "forbidden"
  /** 404: no such room, or not in it. */
  | "not_found"
  /** 409: the room is full, or (for a key) the epoch is not current. */
  | "conflict";

/** A room request the KMS refused, in its words. */
export interface RoomRefusal {
  ok: false;
  /** Which refusal. */
  reason: RoomRefusalReason;
  /** The KMS's sentence (`room squad1 is full: 4 of 4 members`). */
  message: string;
  /** With a 409 to a key request: the room's current epoch. */
  epoch?: number;
}

/** What the KMS answered to a join. */
export type RoomJoinAnswer = { ok: true; room: RoomState } | RoomRefusal;

/** What the KMS answered to a leave. */
export type RoomLeaveAnswer =
  | { ok: true; room: RoomState; terminated: boolean }
  | RoomRefusal;

/** A room key held by the client. Never print or log `key`. */
export interface RoomKey extends KmsKey {
  /** The room. */
  room: string;
  /** Its epoch. */
  epoch: number;
}

/** What the KMS answered to a room key request. */
export type RoomKeyAnswer =
  | { ok: true; key: RoomKey }
  | RoomRefusal
  | {
    ok: false;
    /** No key now (the link RED, an empty pool): retry later. */
    reason: "refused";
    /** The KMS's reason. */
    message: string;
    /** Link status, when the KMS gave one. */
    status?: LinkStatus;
    /** QBER, when the KMS gave one. */
    qber?: number;
  };

/** The KMS's room routes as the client uses them, for one device. */
export interface RoomKmsApi {
  /** `POST /rooms/join`; `expected` creates the room with that capacity. */
  join(
    room: string,
    expected?: number,
    options?: KmsCallOptions,
  ): Promise<RoomJoinAnswer>;
  /** `POST /rooms/leave`. */
  leave(room: string, options?: KmsCallOptions): Promise<RoomLeaveAnswer>;
  /** `GET /rooms`: this device's rooms. */
  list(options?: KmsCallOptions): Promise<RoomState[]>;
  /** `POST /rooms/key` with a fresh ML-KEM-768 key. */
  roomKey(
    room: string,
    epoch: number,
    options?: KmsCallOptions,
  ): Promise<RoomKeyAnswer>;
}

/**
 * The KMS's room routes at `kmsUrl`, asked on behalf of `device` with its
 * token.
 *
 * @example
 * ```ts ignore
 * import { assertEquals } from "@std/assert";
 * import { httpRoomKms } from "./kms_rooms.ts";
 * const kms = httpRoomKms("http://127.0.0.1:8000", { deviceId: "Soldier_Alpha" });
 * const joined = await kms.join("squad1", 4);
 * assertEquals(joined.ok && joined.room.leader, "Soldier_Alpha");
 * ```
 */
export function httpRoomKms(
  kmsUrl: string,
  device: { deviceId: string; token?: string },
): RoomKmsApi {
  const post = (path: string, body: unknown, options: KmsCallOptions = {}) =>
    call(new URL(path, kmsUrl), {
      method: "POST",
      headers: headers(device.token),
      body: JSON.stringify(body),
      signal: options.signal,
    }, options.timeoutMs);
  return {
    async join(room, expected, options) {
      const body: RoomJoinRequest = {
        device_id: device.deviceId,
        room,
        ...(expected === undefined ? {} : { expected }),
      };
      const { status, json } = await post("/rooms/join", body, options);
      if (status !== 200) return refusal(status, json, "join");
      return { ok: true, room: roomState(json, "join") };
    },
    async leave(room, options) {
      const body: RoomLeaveRequest = { device_id: device.deviceId, room };
      const { status, json } = await post("/rooms/leave", body, options);
      if (status !== 200) return refusal(status, json, "leave");
      return {
        ok: true,
        room: roomState(json, "leave"),
        terminated: json.terminated === true,
      };
    },
    async list(options = {}) {
      const url = new URL("/rooms", kmsUrl);
      url.searchParams.set("device_id", device.deviceId);
      const { status, json } = await call(url, {
        headers: headers(device.token),
        signal: options.signal,
      }, options.timeoutMs);
      if (status !== 200 || !Array.isArray(json.rooms)) {
        throw new KmsError(`KMS room list: HTTP ${status}: ${describe(json)}`, {
          status,
        });
      }
      return json.rooms.map((room) => roomState(room, "room list"));
    },
    async roomKey(room, epoch, options) {
      const kem = generateKemKeyPair();
      const body: RoomKeyRequest = {
        device_id: device.deviceId,
        room,
        epoch,
        kem_public_key: kem.publicKey.toBase64(),
      };
      const { status, json } = await post("/rooms/key", body, options);
      if (status !== 200) {
        const refused = refusal(status, json, "room key");
        return typeof json.epoch === "number" && refused.reason === "conflict"
          ? { ...refused, epoch: json.epoch }
          : refused;
      }
      const answer = await readWrappedKey(json, {
        kemSecretKey: kem.secretKey,
        deviceId: device.deviceId,
      });
      if (!answer.ok) {
        return {
          ok: false,
          reason: "refused",
          message: answer.error,
          ...(answer.status === undefined ? {} : { status: answer.status }),
          ...(answer.qber === undefined ? {} : { qber: answer.qber }),
        };
      }
      if (json.room !== room || json.epoch !== epoch) {
        throw new KmsError(
          `KMS room key is for ${String(json.room)} epoch ${
            String(json.epoch)
          }, not ${room} epoch ${epoch}`,
        );
      }
      return { ok: true, key: { ...answer.key, room, epoch } };
    },
  };
}

const REFUSALS: Record<number, RoomRefusalReason> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
};

// A refusal the KMS explains is the soldier's news; any other status is a
// KMS in trouble.
function refusal(
  status: number,
  json: Record<string, unknown>,
  what: string,
): RoomRefusal {
  const reason = REFUSALS[status];
  if (reason === undefined) {
    throw new KmsError(`KMS ${what}: HTTP ${status}: ${describe(json)}`, {
      status,
    });
  }
  return {
    ok: false,
    reason,
    message: typeof json.message === "string" ? json.message : describe(json),
  };
}

/**
 * Checks a room's state as the KMS sent it.
 *
 * @throws {KmsError} when a field is missing or wrong.
 *
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { roomState } from "./kms_rooms.ts";
 * const state = {
 *   room: "squad1",
 *   epoch: 2,
 *   leader: "Soldier_Alpha",
 *   expected: 4,
 *   members: ["Soldier_Alpha", "Soldier_Bravo"],
 *   ready: false,
 *   membership: "signed text",
 * };
 * assertEquals(roomState(state, "join"), state);
 * assertThrows(() => roomState({ ...state, epoch: -1 }, "join"));
 * ```
 */
export function roomState(value: unknown, what: string): RoomState {
  const json =
    (typeof value === "object" && value !== null ? value : {}) as Record<
      string,
      unknown
    >;
  const members = json.members;
  if (
    !checkRoomName(json.room).ok || !Number.isSafeInteger(json.epoch) ||
    (json.epoch as number) < 0 || !isDeviceId(json.leader) ||
    !isRoomCapacity(json.expected) || !Array.isArray(members) ||
    !members.every(isDeviceId) || typeof json.ready !== "boolean" ||
    typeof json.membership !== "string"
  ) {
    throw new KmsError(`KMS ${what}: not a room's state`);
  }
  return {
    room: json.room as string,
    epoch: json.epoch as number,
    leader: json.leader as string,
    expected: json.expected as number,
    members: [...members].sort(),
    ready: json.ready,
    membership: json.membership,
  };
}
