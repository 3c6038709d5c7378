/**
 * The status lines of the chat itself, apart from messages.ts to keep it
 * short: delivery marks (the relay's ack, the peer's receipt), a peer elsewhere, late lines, a lost relay, the
 * kept history and multi-line messages. `describe` of messages.ts routes
 * these events here.
 *
 * @module
 */

import { clockTime } from "./format.ts";
import type { DeliveryEvent } from "./delivery.ts";
import type { IncomingEvent } from "./incoming.ts";
import { labelOf } from "./messages.ts";
import { info, type Line, ok, warn } from "./status_line.ts";

/** The chat's own events told here. */
export type ChatOwnEvent =
  | { kind: "late_line"; sender: string; writtenAt: number }
  | { kind: "composing"; lines: number }
  | { kind: "compose_cancelled" }
  | { kind: "bad_history_count"; count: string }
  | { kind: "history_shown"; shown: number; kept: number }
  | { kind: "history_empty" }
  | { kind: "restored"; count: number }
  | { kind: "kept_for_next_start"; count: number }
  | { kind: "chat_unsaved"; message: string }
  | { kind: "relay_lost" }
  | { kind: "relay_restarting" };

/** Every event whose line is made here. */
export type ChatNewsEvent =
  | ChatOwnEvent
  | DeliveryEvent
  | Extract<IncomingEvent, { kind: "confirmed" | "peer_elsewhere" }>;

const KINDS: ReadonlySet<string> = new Set<ChatNewsEvent["kind"]>([
  "ack",
  "no_receipt",
  "late_line",
  "composing",
  "compose_cancelled",
  "bad_history_count",
  "history_shown",
  "history_empty",
  "restored",
  "kept_for_next_start",
  "chat_unsaved",
  "relay_lost",
  "relay_restarting",
  "confirmed",
  "peer_elsewhere",
]);

/**
 * Whether `event`'s line is made here.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { isChatNewsEvent } from "./chat_messages.ts";
 * assertEquals(isChatNewsEvent({ kind: "relay_lost" }), true);
 * assertEquals(isChatNewsEvent({ kind: "bye" }), false);
 * ```
 */
export function isChatNewsEvent(
  event: { kind: string },
): event is ChatNewsEvent {
  return KINDS.has(event.kind);
}

/**
 * The line for a chat event.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { describeChatNews } from "./chat_messages.ts";
 * assertEquals(describeChatNews({ kind: "compose_cancelled" }).text, "✎ Message dropped.");
 * ```
 */
export function describeChatNews(event: ChatNewsEvent): Line {
  switch (event.kind) {
    case "ack":
      return ackLine(event);
    case "no_receipt":
      return info(
        `… ${event.entry.peer} has not confirmed ${
          labelOf(event.entry.item)
        } (✓ relay accepted, no ✓✓ yet): sending again every ${
          event.everyMs / 1000
        } s while it is online.`,
      );
    case "late_line":
      return warn(
        `⏱ Late: ${event.sender}'s next line was written at ${
          clockTime(new Date(event.writtenAt))
        }, before the line above.`,
      );
    case "composing":
      return info(
        `✎ A message of ${event.lines} line(s) so far: type more lines; a line with only . sends it, /cancel drops it.`,
      );
    case "compose_cancelled":
      return info("✎ Message dropped.");
    case "bad_history_count":
      return warn(`⚠ /history takes a number of lines, not "${event.count}"`);
    case "history_shown":
      return info(
        `── the last ${event.shown} of ${event.kept} line(s) kept on this device (/history N for more) ──`,
      );
    case "history_empty":
      return info("No history kept on this device yet.");
    case "restored":
      return info(
        `… ${event.count} unconfirmed line(s) from the last run kept: sent once the chat is open.`,
      );
    case "kept_for_next_start":
      return info(
        `… ${event.count} unconfirmed line(s) kept on this device (encrypted): sent when the client starts again.`,
      );
    case "chat_unsaved":
      return warn(
        `⚠ History and unconfirmed lines not saved: ${event.message}`,
      );
    case "relay_lost":
      return warn(
        "⚠ Lost the relay: a network or relay problem, not the quantum link (it is not RED). Reconnecting; typed lines are kept.",
      );
    case "relay_restarting":
      return warn(
        "⚠ The relay is restarting (it said goodbye). Reconnecting; typed lines are kept.",
      );
    case "confirmed":
      return ok(`✓✓ ${event.sender} confirmed: ${labelOf(event.entry.item)}`);
    case "peer_elsewhere":
      return warn(
        `⚠ ${event.sender} is talking to someone else: ${
          labelOf(event.entry.item)
        } was not shown there; kept, and sent again until it switches back to you.`,
      );
  }
}

function ackLine(event: Extract<DeliveryEvent, { kind: "ack" }>): Line {
  const reason = event.reason === undefined ? "" : ` (${event.reason})`;
  const label = labelOf(event.entry.item);
  if (event.status === "dropped") {
    return warn(`✗ dropped${reason}: ${label} — will be sent again`);
  }
  if (event.status === "delivered") return ok(`✓ relay accepted: ${label}`);
  return info(`… queued${reason}: ${label}`);
}
