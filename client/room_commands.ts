/**
 * The room commands: `/join NAME [CAPACITY]`, `/leave [NAME]`, `/rooms`,
 * `/who [ROOM]`, `/to NAME`, `/room NAME`, and what a typed line or an
 * attachment does while the conversation is a room; plus the rooms' part
 * of `/status` (who has not confirmed what).
 *
 * @module
 */

import { ConfigError } from "../common/cli.ts";
import { checkRoomName, isDeviceId } from "../protocol/mod.ts";
import type { CommandHost } from "./commands.ts";
import { checkRoom } from "./config.ts";
import type { Conversation } from "./conversation.ts";
import { type ClientEvent, labelOf } from "./messages.ts";
import type { OutboxItem } from "./outbox.ts";
import type { Rooms } from "./rooms.ts";

/** What the room commands act on. */
export interface RoomCommandsContext {
  /** Who the client talks to. */
  conversation: Conversation;
  /** The rooms. */
  rooms:
    & Pick<
      Rooms,
      | "join"
      | "leave"
      | "get"
      | "names"
      | "others"
      | "refresh"
      | "queue"
      | "status"
    >
    & { delivery: Pick<Rooms["delivery"], "unconfirmed"> };
  /** Whether room lines can go out now (relay up, link not RED). */
  canSend: () => boolean;
  /** Switches to a direct peer (`/peer`). */
  peer: (name: string) => void;
  /** Shows a status line. */
  say: (event: ClientEvent) => void;
  /** Shows a line of a listing. */
  print: (text: string) => void;
}

/** The room commands' handlers, and the room side of sending. */
export interface RoomActions
  extends
    Pick<CommandHost, "join" | "leave" | "rooms" | "who" | "to" | "room"> {
  /** Queues an item for the room talked in. */
  send(item: OutboxItem): void;
  /** The rooms' lines of `/status`. */
  statusLines(): string[];
}

/**
 * The room commands for one client.
 *
 * @example
 * ```ts ignore
 * const actions = roomCommands({ conversation, rooms, canSend, peer, say, print });
 * await actions.join("squad1 4");
 * ```
 */
export function roomCommands(context: RoomCommandsContext): RoomActions {
  const { conversation, rooms, say, print } = context;
  const badName = (name: string): boolean => {
    const checked = checkRoomName(name);
    if (!checked.ok) say({ kind: "room_bad_input", message: checked.message });
    return !checked.ok;
  };
  const keys = (name: string) => {
    const status = rooms.status(name);
    if (!status?.keyReady) return "re-keying";
    return status.waitingFor.length === 0
      ? "keys ready"
      : `keys ready (no sender key yet from ${status.waitingFor.join(", ")})`;
  };
  const talkIn = (name: string) => {
    const room = rooms.get(name);
    if (!room) return say({ kind: "not_in_room", room: name });
    conversation.room = name;
    say({
      kind: "room_target",
      room: name,
      members: room.state.members.length,
      online: rooms.others(room).filter((m) => room.online.has(m)).length + 1,
    });
  };
  return {
    async join(argument) {
      const [name = "", capacity, ...rest] = argument.split(/\s+/);
      if (rest.length > 0) {
        return say({
          kind: "room_bad_input",
          message: "/join takes a room name and, to create it, a capacity",
        });
      }
      let choice;
      try {
        choice = checkRoom(
          capacity === undefined ? name : `${name}:${capacity}`,
        );
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        return say({ kind: "room_bad_input", message: error.message });
      }
      if (await rooms.join(choice)) conversation.room = choice.room;
    },
    async leave(argument) {
      const name = argument || conversation.room;
      if (name === undefined) {
        return say({
          kind: "room_bad_input",
          message: "You are talking to a peer, not in a room: /leave NAME",
        });
      }
      if (badName(name)) return;
      if (!await rooms.leave(name)) return;
      if (conversation.room === name) conversation.room = undefined;
    },
    async rooms() {
      await rooms.refresh();
      const names = rooms.names();
      if (names.length === 0) {
        return print("No rooms. /join NAME CAPACITY creates one.");
      }
      print("Rooms:");
      for (const name of names) {
        const { state, online } = rooms.get(name)!;
        const others = rooms.others(rooms.get(name)!);
        const up = others.filter((m) => online.has(m));
        print(
          `${
            name === conversation.room ? "* " : "  "
          }${name}: epoch ${state.epoch}, ${state.members.length} of ${state.expected} members (leader ${state.leader}), online: ${
            up.join(", ") || "nobody else"
          }; ${keys(name)}`,
        );
      }
    },
    who(argument) {
      const name = argument || conversation.room;
      if (name === undefined) {
        return say({
          kind: "room_bad_input",
          message: "You are talking to a peer, not in a room: /who ROOM",
        });
      }
      const room = rooms.get(name);
      if (!room) return say({ kind: "not_in_room", room: name });
      print(`Room ${name} (epoch ${room.state.epoch}):`);
      for (const member of room.state.members) {
        const me = member === conversation.deviceId;
        print(
          `  ${member}${
            me ? " (you)" : room.online.has(member) ? " online" : " offline"
          }${member === room.state.leader ? ", leader" : ""}`,
        );
      }
    },
    room: talkIn,
    to(name) {
      if (rooms.get(name)) return talkIn(name);
      if (!isDeviceId(name)) return say({ kind: "not_a_peer", name });
      if (name !== conversation.peer) return context.peer(name);
      conversation.room = undefined;
      say({
        kind: "peer_switched",
        peer: name,
        online: conversation.peerOnline,
        previous: name,
        left: 0,
      });
    },
    send(item) {
      const name = conversation.room!;
      rooms.queue(name, item);
      if (!context.canSend()) {
        say({
          kind: "room_held",
          room: name,
          reason: conversation.linkRed ? "link RED" : "waiting for the relay",
          item,
        });
      }
    },
    statusLines() {
      return rooms.names().flatMap((name) => {
        const room = rooms.get(name)!;
        const others = rooms.others(room);
        const waiting = rooms.delivery.unconfirmed(name, others);
        return [
          `  room ${name}: epoch ${room.state.epoch}, ${room.state.members.length} of ${room.state.expected} members, ${
            others.filter((m) => room.online.has(m)).length
          } others online, ${keys(name)}, ${waiting.length} unconfirmed`,
          ...waiting.map(({ entry, waiting }) =>
            `    ${labelOf(entry.item)} — not confirmed by ${
              waiting.join(", ") || "nobody (settling)"
            }`
          ),
        ];
      });
    },
  };
}
