/**
 * The chat client's rooms, wired: the room layer (rooms.ts) over the
 * client's relay link, outbox and inbox, its lines shown in each sender's
 * order as `[room] sender> text` and kept in the history, and the room
 * commands (room_commands.ts).
 *
 * @module
 */

import type { ClientConfig } from "./config.ts";
import type { Conversation } from "./conversation.ts";
import type { Inbox } from "./inbox.ts";
import type { KeptChat } from "./kept_chat.ts";
import type { RoomKmsApi } from "./kms_rooms.ts";
import { LineOrder, type ShownLine } from "./line_order.ts";
import type { ClientEvent } from "./messages.ts";
import type { Outbox } from "./outbox.ts";
import type { RelayConnection } from "./relay_link.ts";
import { type RoomActions, roomCommands } from "./room_commands.ts";
import { roomAddress } from "./room_delivery.ts";
import { Rooms, type RoomsOptions } from "./rooms.ts";

/** What the rooms are wired to. */
export interface RoomSetupOptions {
  /** The client's settings. */
  config: Pick<ClientConfig, "deviceId" | "room">;
  /** The KMS's room routes. */
  kms: RoomKmsApi;
  /** The relay. */
  relay: RelayConnection;
  /** Who the client talks to. */
  conversation: Conversation;
  /** The client's outbox. */
  outbox: Outbox;
  /** The client's inbox. */
  inbox: Inbox;
  /** The kept history. */
  kept: Pick<KeptChat, "received">;
  /** Shows a chat line (`room` for a room's). */
  show: (line: ShownLine, room?: string) => void;
  /** Makes the sender-key engine. */
  protocol: RoomsOptions["protocol"];
  /** Switches to a direct peer (`/peer`). */
  peer: (name: string) => void;
  /** Shows a status line. */
  say: (event: ClientEvent) => void;
  /** Shows a line of a listing. */
  print: (text: string) => void;
}

/** The wired rooms. */
export interface RoomSetup {
  /** The room layer. */
  rooms: Rooms;
  /** The room commands. */
  actions: RoomActions;
  /** At start: the rooms this device is in, then `--room`. */
  start(): Promise<void>;
  /** Shows the lines still held for order. */
  close(): void;
}

/** Wires the rooms of one client. */
export function setUpRooms(options: RoomSetupOptions): RoomSetup {
  const { conversation, relay, say } = options;
  const orders = new Map<string, LineOrder>();
  const canSend = () => conversation.connected && !conversation.linkRed;
  const rooms = new Rooms({
    deviceId: options.config.deviceId,
    kms: options.kms,
    outbox: options.outbox,
    inbox: options.inbox,
    send: (frame) => relay.send(frame),
    protocol: options.protocol,
    canSend,
    canKey: () => !conversation.linkRed,
    show: (room, sender, line) => {
      let order = orders.get(room);
      if (!order) {
        order = new LineOrder({
          show: (shown) => {
            options.kept.received(shown, roomAddress(room));
            options.show(shown, room);
          },
        });
        orders.set(room, order);
      }
      order.take(sender, line);
    },
    say,
  });
  const actions = roomCommands({
    conversation,
    rooms,
    canSend,
    peer: options.peer,
    say,
    print: options.print,
  });
  return {
    rooms,
    actions,
    async start() {
      await rooms.refresh();
      const choice = options.config.room;
      if (choice === undefined) return;
      if (await rooms.join(choice)) conversation.room = choice.room;
    },
    close() {
      for (const order of orders.values()) order.close();
    },
  };
}
