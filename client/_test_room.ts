/**
 * Test helpers for squad rooms with real processes: members started with
 * `--room`, the lines they print (the room key, room chat lines), and the
 * KMS's room routes asked as one of them (its token), as a test needs to
 * check what a member or a departed member could read.
 *
 * @module
 */

import { httpRoomKms, type RoomKmsApi } from "./kms_rooms.ts";
import {
  startClient,
  type StartClientOptions,
  stopClients,
  type TestClientProcess,
  type TestStack,
  WAIT_MS,
} from "./_test_client.ts";

/** The line a member prints when the room key of an epoch is in. */
export function roomKeyLine(room: string, epoch: number): RegExp {
  return new RegExp(
    `🔐 \\[ROOMKEY_DECRYPTED\\] room=${room} epoch=${epoch}:`,
  );
}

/** A room chat line as a member prints it: `[HH:MM:SS] [room] sender> text`. */
export function roomLine(room: string, sender: string, text: string): RegExp {
  const escaped = `[${room}] ${sender}> ${text}`.replace(
    /[.*+?^${}()|[\]\\]/g,
    "\\$&",
  );
  return new RegExp(`^\\[\\d\\d:\\d\\d:\\d\\d\\] ${escaped}$`);
}

/** Starts a member that joins `room` at start (`NAME` or `NAME:CAPACITY`). */
export async function startMember(
  stack: TestStack,
  options: Omit<StartClientOptions, "stack"> & { room: string },
): Promise<TestClientProcess> {
  const { room, ...rest } = options;
  return await startClient({
    ...rest,
    stack,
    args: ["--room", room, ...rest.args ?? []],
  } as StartClientOptions);
}

/**
 * Starts a member per device of `devices`, one after the other: the first
 * creates `room` with `capacity` seats, each next one joins once the one
 * before is in (each talks to the next as its direct peer). Stops those
 * started if one fails.
 */
export async function startRoom(
  stack: TestStack,
  devices: string[],
  options:
    & { room: string; capacity: number }
    & Omit<StartClientOptions, "stack" | "device" | "peer">,
): Promise<TestClientProcess[]> {
  const { room, capacity, ...rest } = options;
  const members: TestClientProcess[] = [];
  try {
    for (const [index, device] of devices.entries()) {
      const member = await startMember(stack, {
        ...rest,
        device,
        peer: devices[(index + 1) % devices.length],
        room: index === 0 ? `${room}:${capacity}` : room,
      });
      members.push(member);
      await member.process.waitForLine(
        new RegExp(`✓ (Created|Joined) room ${room}`),
        WAIT_MS,
      );
    }
  } catch (error) {
    await stopClients(...members);
    throw error;
  }
  return members;
}

/** Waits until every member printed the room key of `epoch`. */
export async function waitForEpoch(
  members: TestClientProcess[],
  room: string,
  epoch: number,
): Promise<void> {
  await Promise.all(
    members.map((member) =>
      member.process.waitForLine(roomKeyLine(room, epoch), WAIT_MS)
    ),
  );
}

/** The KMS's room routes as `device` asks them (with its token). */
export async function roomKmsAs(
  stack: TestStack,
  device: string,
): Promise<RoomKmsApi> {
  return httpRoomKms(stack.kms.url, {
    deviceId: device,
    token: await stack.token(device),
  });
}
