/**
 * The sender-key engine (`room_engine.ts`) as the chat client runs it: its
 * identity key signs the device's frames, its relay ticket goes in each
 * hello, the KMS's pinned ticket key checks memberships and tickets, and a
 * member's identity key is pinned on first use as a pair peer's is (a
 * changed one is refused).
 *
 * @module
 */

import type { Identity } from "../protocol/mod.ts";
import { sameBytes } from "./bytes.ts";
import type { KeyPins } from "./key_pins.ts";
import type { RelayTickets } from "./relay_tickets.ts";
import { RoomEngine } from "./room_engine.ts";
import type { RoomsOptions } from "./rooms.ts";

/**
 * Makes the engine of one device for rooms.ts.
 *
 * @example
 * ```ts ignore
 * const protocol = engineProtocol({ deviceId, identity, tickets, pins });
 * const rooms = new Rooms({ ..., protocol });
 * ```
 */
export function engineProtocol(options: {
  deviceId: string;
  identity: Identity;
  tickets: Pick<RelayTickets, "kmsKey" | "ticket">;
  pins: Pick<KeyPins, "peer" | "pinPeer">;
}): RoomsOptions["protocol"] {
  const { deviceId, identity, tickets, pins } = options;
  return (hooks) =>
    new RoomEngine({
      deviceId,
      identity,
      kmsTicketKey: () => tickets.kmsKey,
      ownTicket: () => tickets.ticket,
      fetchRoomKey: hooks.fetchRoomKey,
      send: hooks.send,
      async checkPin(member, publicKey) {
        const pinned = pins.peer(member);
        if (pinned === undefined) {
          await pins.pinPeer(member, publicKey);
          return "ok";
        }
        return sameBytes(pinned, publicKey) ? "ok" : "changed";
      },
    });
}
