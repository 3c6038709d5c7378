/**
 * What the typed lines and the commands of the command table do to a
 * running client: queue a line or a file, switch peer, re-key, print the
 * status or the command list.
 *
 * @module
 */

import { isDeviceId, type WatchFrame } from "../protocol/mod.ts";
import { AttachmentError, readAttachment } from "./attachment_file.ts";
import { type CommandHost, COMMANDS_HELP } from "./commands.ts";
import type { ClientConfig } from "./config.ts";
import type { Conversation } from "./conversation.ts";
import { type Delivery, MAX_MESSAGE_PAYLOAD_BYTES } from "./delivery.ts";
import type { HandshakeAuth } from "./handshake_auth.ts";
import type { LinkWatch } from "./link_watch.ts";
import { type ClientEvent, statusLines } from "./messages.ts";
import type { OutboxItem } from "./outbox.ts";
import type { RelayConnection } from "./relay_link.ts";
import type { RoomActions } from "./room_commands.ts";
import type { SessionKeys } from "./session_keys.ts";

/** Lines `/history` shows without a count. */
const DEFAULT_HISTORY = 20;

/** What the commands act on. */
export interface ChatCommandsContext {
  /** The client's settings. */
  config: Pick<ClientConfig, "deviceId" | "maxFileBytes" | "relayUrl">;
  /** Who the client talks to. */
  conversation: Conversation;
  /** The outbox and its flushing. */
  delivery: Pick<Delivery, "outbox" | "queueText" | "flush" | "forgetReceipts">;
  /** Key handling. */
  keys: Pick<SessionKeys, "rekey" | "rekeying">;
  /** Pinned identity keys and safety numbers. */
  auth: Pick<HandshakeAuth, "trust" | "safetyNumbers">;
  /** The link's state, for `/status`. */
  link: Pick<LinkWatch, "link" | "kmsProblem">;
  /** Whether the relay link was started (it is after the first key). */
  relayStarted: () => boolean;
  /** Shows a status line. */
  say: (event: ClientEvent) => void;
  /** Shows a line of a listing (`/help`, `/status`). */
  print: (text: string) => void;
  /** Shows the last `count` lines of the kept history. */
  history: (count: number) => void;
  /** Starts a multi-line message. */
  compose: () => void;
  /** Leaves. */
  quit: () => void;
  /** The relay, told whose presence to report (the new peer). */
  relay?: Pick<RelayConnection, "send" | "url">;
  /** The rooms' side: lines and files while talking in a room, `/status`. */
  room?: Pick<RoomActions, "send" | "statusLines">;
}

/** An attachment or a voice note. */
type FileItem = Extract<OutboxItem, { kind: "file" }>;

/** The commands' handlers, and what a typed line does. */
export interface ChatActions extends CommandHost {
  /** Sends a typed line to the peer or the room talked in. */
  submit(text: string): void;
  /** Sends an attachment (a file, a voice note) to the peer or the room. */
  attach(item: FileItem): void;
}

/** The commands {@linkcode chatCommands} handles (room_commands.ts the rest). */
export type PeerActions = Omit<
  ChatActions,
  keyof RoomCommandHost | "voice" | "play"
>;
type RoomCommandHost = Omit<RoomActions, "send" | "statusLines">;

/**
 * The handlers of the command table for one client.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { chatCommands } from "./chat_commands.ts";
 * import { Conversation } from "./conversation.ts";
 * import { Delivery } from "./delivery.ts";
 * import { describe } from "./messages.ts";
 *
 * const conversation = new Conversation("Soldier_Alpha", "Soldier_Bravo");
 * const said: string[] = [];
 * const actions = chatCommands({
 *   config: { deviceId: "Soldier_Alpha", maxFileBytes: 1024, relayUrl: "ws://r" },
 *   conversation,
 *   delivery: new Delivery({
 *     conversation,
 *     send: () => false,
 *     onEvent: () => {},
 *     onError: () => {},
 *   }),
 *   keys: { rekeying: false, rekey: () => Promise.resolve() },
 *   auth: { trust: () => Promise.resolve({ ok: false, reason: "nothing_to_trust" }), safetyNumbers: () => Promise.resolve({}) },
 *   link: { link: undefined, kmsProblem: undefined },
 *   relayStarted: () => false,
 *   say: (event) => said.push(describe(event).text),
 *   print: (text) => said.push(text),
 *   history: () => {},
 *   compose: () => {},
 *   quit: () => {},
 * });
 * actions.peer("Soldier_Charlie");
 * assertEquals(conversation.peer, "Soldier_Charlie");
 * assertEquals(said, ["↔ Now talking to Soldier_Charlie (offline)"]);
 * ```
 */
export function chatCommands(context: ChatCommandsContext): PeerActions {
  const { auth, config, conversation, delivery, keys, say } = context;

  const inRoom = () => conversation.room !== undefined && context.room;
  const sendSoon = (item: OutboxItem) => {
    const reason = conversation.heldReason;
    if (reason) say({ kind: "held", reason, item });
    void delivery.flush();
  };

  const attach = (item: FileItem) => {
    const room = inRoom();
    const peer = room ? `room ${conversation.room}` : conversation.peer;
    const { name, data } = item;
    say({ kind: "sending_file", name, bytes: data.length, peer });
    if (room) return room.send(item);
    delivery.outbox.add(peer, item);
    sendSoon(item);
  };

  return {
    submit(text) {
      const room = inRoom();
      const queued = delivery.queueText(text, { dryRun: room !== false });
      if (!queued.ok) {
        const max = MAX_MESSAGE_PAYLOAD_BYTES;
        return say({ kind: "line_too_long", size: queued.size, max });
      }
      if (room) return room.send({ kind: "msg", text });
      sendSoon({ kind: "msg", text });
    },
    help() {
      for (const text of COMMANDS_HELP.split("\n")) context.print(text);
    },
    status() {
      const { outbox } = delivery;
      const lines = statusLines({
        deviceId: config.deviceId,
        peer: conversation.peer,
        peerOnline: conversation.peerOnline,
        channel: conversation.channel.status,
        kmsProblem: context.link.kmsProblem,
        link: context.link.link,
        linkRed: conversation.linkRed,
        relay: conversation.connected
          ? "connected"
          : context.relayStarted()
          ? "reconnecting"
          : "not_started",
        // The relay it is on, of several (--relay URL1,URL2).
        relayUrl: context.relay?.url ?? config.relayUrl,
        outbox: outbox.size(conversation.peer),
        others: outbox.size() - outbox.size(conversation.peer),
      });
      for (const text of lines) context.print(text);
      for (const text of context.room?.statusLines() ?? []) context.print(text);
    },
    rekey() {
      if (keys.rekeying) return say({ kind: "rekey_busy" });
      say({ kind: "rekeying" });
      conversation.channel.suspend();
      void keys.rekey();
    },
    compose() {
      context.compose();
    },
    history(count) {
      const n = count === "" ? DEFAULT_HISTORY : Number(count);
      if (!Number.isSafeInteger(n) || n < 1) {
        return say({ kind: "bad_history_count", count });
      }
      context.history(n);
    },
    async verify(peer) {
      if (!isDeviceId(peer)) return say({ kind: "not_a_peer", name: peer });
      const numbers = await auth.safetyNumbers(peer);
      say({ kind: "safety_numbers", deviceId: config.deviceId, peer, numbers });
    },
    async trust(peer) {
      const trusted = await auth.trust(peer);
      if (!trusted.ok) return say({ kind: trusted.reason, peer });
      say({ kind: "trusted", peer });
      // The handshakes refused meanwhile are redone under a fresh key.
      if (peer === conversation.peer) {
        conversation.channel.suspend();
        void keys.rekey();
      }
    },
    peer(name) {
      if (!isDeviceId(name) || name === config.deviceId) {
        return say({ kind: "not_a_peer", name });
      }
      if (name === conversation.peer) return say({ kind: "same_peer", name });
      const previous = conversation.peer;
      const left = delivery.outbox.size(previous);
      conversation.room = undefined;
      conversation.switchTo(name);
      const watch: WatchFrame = { type: "watch", devices: [name] };
      context.relay?.send(watch);
      delivery.forgetReceipts();
      const online = conversation.peerOnline;
      say({ kind: "peer_switched", peer: name, online, previous, left });
      void keys.rekey();
    },
    async file(path) {
      let file;
      try {
        file = await readAttachment(path, { maxBytes: config.maxFileBytes });
      } catch (error) {
        if (!(error instanceof AttachmentError)) throw error;
        return say({ kind: "attach_failed", path, message: error.message });
      }
      attach({ kind: "file", name: file.name, data: file.data });
    },
    attach,
    quit: () => context.quit(),
  };
}
