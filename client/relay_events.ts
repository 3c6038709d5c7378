/**
 * What the relay's news does to a running client: registered (first time
 * or again), connection lost, and the frames it hands over (chat packets,
 * acks, presence, refusals, and the frames of squad rooms).
 *
 * @module
 */

import { RELAY_SHUTDOWN_REASON } from "../protocol/mod.ts";
import type { Conversation } from "./conversation.ts";
import type { Delivery } from "./delivery.ts";
import type { Incoming } from "./incoming.ts";
import type { ClientEvent } from "./messages.ts";
import type { RelayEvents } from "./relay_link.ts";
import type { Rooms } from "./rooms.ts";
import type { SessionKeys } from "./session_keys.ts";

// How the relay closes connections when it stops: close code 1001, going
// away (RFC 6455, 7.4.1), which it also sends to a client silent too long (a
// laptop asleep), with another reason.
const GOING_AWAY = 1001;

/** What the relay's events act on. */
export interface RelayEventsContext {
  /** The relay's address, for the soldier. */
  relayUrl: string;
  /** Who the client talks to. */
  conversation: Conversation;
  /** Acks, and flushing once connected. */
  delivery: Pick<Delivery, "onAck" | "flush" | "connectionLost">;
  /** Where chat packets go. */
  incoming: Pick<Incoming, "take" | "malformed">;
  /** The squad rooms, if the client has them. */
  rooms?: Pick<Rooms, "relayUp" | "onPresence" | "take" | "delivery">;
  /** Re-keys after a reconnect. */
  keys: Pick<SessionKeys, "rekey">;
  /** Sends the pending ML-KEM offer again. */
  offerAgain: () => void;
  /** Shows a status line. */
  say: (event: ClientEvent) => void;
}

/**
 * The client's handlers of the relay link's events.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { Conversation } from "./conversation.ts";
 * import { relayEvents } from "./relay_events.ts";
 * const said: string[] = [];
 * const conversation = new Conversation("Soldier_Alpha", "Soldier_Bravo");
 * const events = relayEvents({
 *   relayUrl: "ws://127.0.0.1:8765",
 *   conversation,
 *   delivery: { onAck: () => {}, flush: async () => {}, connectionLost: () => {} },
 *   incoming: { take: () => {}, malformed: () => {} },
 *   keys: { rekey: async () => {} },
 *   offerAgain: () => {},
 *   say: (event) => said.push(event.kind),
 * });
 * events.onUp({ online: ["Soldier_Alpha"], reconnected: false });
 * events.onFrame({ type: "presence", online: ["Soldier_Alpha", "Soldier_Bravo"] });
 * assertEquals(said, ["relay_connected", "presence"]);
 * assertEquals(conversation.peerOnline, true);
 * ```
 */
export function relayEvents(context: RelayEventsContext): RelayEvents {
  const { conversation, delivery, incoming, say } = context;
  let warned = false;
  let lastRefusal: string | undefined;
  return {
    onUp(info) {
      lastRefusal = undefined;
      warned = false;
      conversation.connected = true;
      conversation.online = info.online;
      if (info.reconnected) {
        // A reconnect for a fresh ticket is the link's routine, no news.
        if (!info.ticketExpired) {
          say({
            kind: "relay_reconnected",
            ...(info.movedTo === undefined ? {} : { url: info.movedTo }),
          });
        }
        void context.keys.rekey();
      } else {
        say({
          kind: "relay_connected",
          deviceId: conversation.deviceId,
          peer: conversation.peer,
          online: conversation.peerOnline,
        });
        // The offer made with the first key could not go out before now.
        context.offerAgain();
      }
      context.rooms?.relayUp({ reconnected: info.reconnected });
      void delivery.flush();
    },
    onDown(info) {
      conversation.connected = false;
      delivery.connectionLost();
      if (info.wasUp) {
        if (!info.ticketExpired) say(lostEvent(conversation, info.close));
        conversation.channel.suspend();
      } else if (!warned) {
        warned = true;
        say({
          kind: "relay_unreachable",
          url: info.url ?? context.relayUrl,
          reason: info.reason,
        });
      }
    },
    onFrame(frame) {
      switch (frame.type) {
        case "chat":
          return incoming.take(frame);
        case "ack":
          if (context.rooms?.delivery.onAck(frame)) return;
          return delivery.onAck(frame);
        case "room_presence":
          return context.rooms?.onPresence(frame);
        case "room_chat":
          // Its fields are checked by the room's engine before anything is
          // read from it.
          return void context.rooms?.take(frame);
        case "presence": {
          const before = conversation.peerOnline;
          conversation.online = frame.online;
          const online = conversation.peerOnline;
          if (before === online) return;
          return say({ kind: "presence", peer: conversation.peer, online });
        }
        case "error": {
          // A refused registration comes back on every retry: said once.
          const { code, message } = frame;
          const refusal = `${code} ${message}`;
          if (refusal === lastRefusal) return;
          lastRefusal = refusal;
          if (code === "ticket_required" || code === "ticket_invalid") {
            // Refused again after a fresh ticket (relay_link.ts): why this
            // device cannot register.
            return say({
              kind: "relay_ticket_refused",
              deviceId: conversation.deviceId,
              url: context.relayUrl,
              code,
              message,
            });
          }
          say({ kind: "relay_refused", code, message });
        }
      }
    },
    onBadFrame(refusal) {
      if (refusal.type === "chat" || refusal.type === "room_chat") {
        incoming.malformed();
      }
    },
  };
}

/**
 * What a lost relay connection means: the router's cut while the link is
 * RED (the alarm), a relay shutting down, or a network or relay problem
 * with the link not RED.
 */
function lostEvent(
  conversation: Conversation,
  close: { code: number; reason: string } | undefined,
): ClientEvent {
  if (conversation.linkRed) return { kind: "connection_lost" };
  if (close?.code === GOING_AWAY && close.reason === RELAY_SHUTDOWN_REASON) {
    return { kind: "relay_restarting" };
  }
  return { kind: "relay_lost" };
}
