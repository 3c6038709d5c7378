/**
 * Test helper: an HTTP server answering the KMS's room routes as
 * `protocol/room_api.ts` and contracts17 describe them (in memory, one
 * membership text per epoch, the room key wrapped to each caller's fresh
 * ML-KEM key), so the client's room calls are tested without the KMS.
 *
 * @module
 */

import { isRoomCapacity, type RoomState, wrapKey } from "../protocol/mod.ts";

/** A running fake room KMS. */
export interface FakeRoomKms extends AsyncDisposable {
  /** Its base URL. */
  url: string;
  /** Its rooms, by name; a test may change them. */
  rooms: Map<string, RoomState>;
  /** The room key of each `room/epoch`. */
  keys: Map<string, Uint8Array>;
  /** While true, `/rooms/key` answers as a RED link does. */
  red: boolean;
}

/** Starts a fake room KMS on a free loopback port. */
export function startFakeRoomKms(): FakeRoomKms {
  const rooms = new Map<string, RoomState>();
  const keys = new Map<string, Uint8Array>();
  const fake: Omit<FakeRoomKms, "url" | typeof Symbol.asyncDispose> = {
    rooms,
    keys,
    red: false,
  };
  const change = (state: RoomState, members: string[]): RoomState => {
    const next = {
      ...state,
      epoch: state.epoch + 1,
      members: [...members].sort(),
      ready: members.length === state.expected,
      membership: `membership ${state.room} ${state.epoch + 1}`,
    };
    rooms.set(state.room, next);
    return next;
  };
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      const path = new URL(request.url).pathname;
      if (request.method === "GET" && path === "/rooms") {
        return Response.json({ rooms: [...rooms.values()] });
      }
      const body = await request.json();
      const device = body.device_id as string;
      const state = rooms.get(body.room);
      if (path === "/rooms/join") {
        if (state === undefined) {
          if (!isRoomCapacity(body.expected)) {
            return message(400, "expected must be a whole number 2..16");
          }
          return Response.json(change({
            room: body.room,
            epoch: 0,
            leader: device,
            expected: body.expected,
            members: [],
            ready: false,
            membership: "",
          }, [device]));
        }
        if (state.members.includes(device)) return Response.json(state);
        if (state.members.length >= state.expected) {
          const { room, members, expected } = state;
          return message(
            409,
            `room ${room} is full: ${members.length} of ${expected} members`,
          );
        }
        return Response.json(change(state, [...state.members, device]));
      }
      if (path === "/rooms/leave") {
        if (state === undefined) {
          return message(404, `no room ${body.room}`);
        }
        if (!state.members.includes(device)) {
          return message(
            404,
            `${device} is not a member of room ${state.room}`,
          );
        }
        const left = change(state, state.members.filter((m) => m !== device));
        const terminated = left.members.length === 0;
        if (terminated) rooms.delete(state.room);
        return Response.json({ ...left, terminated });
      }
      if (path === "/rooms/key") {
        if (state === undefined || !state.members.includes(device)) {
          return message(403, `${device} is not a member of room ${body.room}`);
        }
        if (body.epoch !== state.epoch) {
          return Response.json({
            message: `epoch ${body.epoch} is not current`,
            epoch: state.epoch,
          }, { status: 409 });
        }
        if (fake.red) {
          return Response.json({
            error: "QBER too high",
            qber: 0.25,
            status: "RED",
          });
        }
        const keyId = `${state.room}/${state.epoch}/k`;
        const key = keys.get(keyId) ??
          crypto.getRandomValues(new Uint8Array(32));
        keys.set(keyId, key);
        const wrapped = await wrapKey(
          key,
          Uint8Array.fromBase64(body.kem_public_key),
          { context: `${keyId}|${device}` },
        );
        return Response.json({
          room: state.room,
          epoch: state.epoch,
          key_id: keyId,
          kem_ciphertext: wrapped.kemCiphertext.toBase64(),
          wrapped_key: wrapped.wrappedKey.toBase64(),
          qber: 0.02,
          status: "GREEN",
        });
      }
      return message(404, "no such route");
    },
  );
  return Object.assign(fake, {
    url: `http://127.0.0.1:${server.addr.port}`,
    [Symbol.asyncDispose]: () => server.shutdown(),
  });
}

function message(status: number, text: string): Response {
  return Response.json({ message: text }, { status });
}
