/**
 * What the soldier reads: every status line of the client, made from a
 * typed event by {@linkcode describe}, so the wording is changed here and
 * nowhere else. Demo tours and process tests look for some of these lines
 * (the RED alert, "End-to-end key ready", "✓ delivered"): change them with
 * care.
 *
 * @module
 */

import type { LinkStatus } from "../protocol/mod.ts";
import type { CommandProblem } from "./commands.ts";
import type { HeldReason } from "./conversation.ts";
import { formatBytes, formatQber } from "./format.ts";
import {
  type ChatNewsEvent,
  describeChatNews,
  isChatNewsEvent,
} from "./chat_messages.ts";
import {
  describeIdentity,
  type IdentityEvent,
  isIdentityEvent,
} from "./identity_messages.ts";
import type { IncomingEvent } from "./incoming.ts";
import type { OutboxEntry, OutboxItem } from "./outbox.ts";
import type { ChannelStatus } from "./channel_results.ts";
import type { KeyEvent } from "./session_keys.ts";
import { describeRoom, isRoomEvent, type RoomEvent } from "./room_messages.ts";
import { alert, info, type Line, ok, warn } from "./status_line.ts";
import {
  type AttachmentEvent,
  describeAttachment,
  isAttachmentEvent,
} from "./attachment_messages.ts";
import { formatDuration } from "./voice.ts";

/** The chat client's own events. */
export type ClientOwnEvent =
  | {
    kind: "banner";
    deviceId: string;
    peer: string;
    kmsUrl: string;
    relayUrl: string;
  }
  | { kind: "hint" }
  | { kind: "bye" }
  | { kind: "leaving"; count: number }
  | { kind: "not_confirmed"; entry: OutboxEntry }
  | { kind: "eof_waiting"; count: number; waitMs: number }
  | { kind: "invalid_command"; problem: CommandProblem }
  | { kind: "rekey_busy" }
  | { kind: "rekeying" }
  | { kind: "line_too_long"; size: number; max: number }
  | { kind: "held"; reason: HeldReason; item: OutboxItem }
  | { kind: "not_a_peer"; name: string }
  | { kind: "same_peer"; name: string }
  | {
    kind: "peer_switched";
    peer: string;
    online: boolean;
    previous: string;
    left: number;
  }
  | { kind: "kms_unreachable"; message: string }
  | { kind: "kms_back" }
  | { kind: "link_red"; qber: number }
  | { kind: "link_back"; status: LinkStatus; qber: number }
  | { kind: "relay_connected"; deviceId: string; peer: string; online: boolean }
  | { kind: "relay_reconnected"; url?: string }
  | { kind: "relay_unreachable"; url: string; reason: string }
  | { kind: "connection_lost" }
  | { kind: "relay_refused"; code: string; message: string }
  | { kind: "presence"; peer: string; online: boolean }
  | { kind: "expired_held"; count: number; peer: string }
  | { kind: "internal_error"; error: unknown };

/** Anything the client tells the soldier in a status line. */
export type ClientEvent =
  | ClientOwnEvent
  | Exclude<KeyEvent, { kind: "refused_red" }>
  | Exclude<IncomingEvent, ChatNewsEvent>
  | ChatNewsEvent
  | IdentityEvent
  | RoomEvent
  | AttachmentEvent;

const HELD: Record<HeldReason, string> = {
  link_red: "link RED",
  relay_down: "relay disconnected",
  peer_key_changed: "the peer's identity key changed: /verify, then /trust",
  no_e2e_key: "waiting for the end-to-end key",
};

/**
 * The status line for `event`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { describe } from "./messages.ts";
 * assertEquals(describe({ kind: "link_red", qber: 0.25 }), {
 *   tone: "alert",
 *   text: "⚠ QUANTUM LINK RED (QBER=25.0%) — possible eavesdropper! " +
 *     "Chat suspended: typed lines are kept until the link is GREEN again.",
 * });
 * ```
 */
export function describe(event: ClientEvent): Line {
  if (isIdentityEvent(event)) return describeIdentity(event);
  if (isChatNewsEvent(event)) return describeChatNews(event);
  if (isRoomEvent(event)) return describeRoom(event);
  if (isAttachmentEvent(event)) return describeAttachment(event);
  switch (event.kind) {
    case "banner":
      return info(
        `QSTCS secure chat: ${event.deviceId} ↔ ${event.peer} | KMS ${event.kmsUrl} | relay ${event.relayUrl}`,
      );
    case "hint":
      return info("Type a message and press Enter; /help lists commands.");
    case "bye":
      return info("Bye.");
    case "leaving":
      return warn(`⚠ Leaving with ${event.count} unconfirmed message(s):`);
    case "not_confirmed":
      return warn(
        `✗ Not confirmed by ${event.entry.peer}: ${labelOf(event.entry.item)}`,
      );
    case "eof_waiting":
      return info(
        `… End of input: waiting up to ${
          event.waitMs / 1000
        } s for ${event.count} message(s) to be confirmed.`,
      );
    case "invalid_command":
      return warn(`⚠ ${commandProblem(event.problem)}`);
    case "rekey_busy":
      return info("… A re-key is already in progress.");
    case "rekeying":
      return info("… Re-keying: fetching a fresh key from the KMS.");
    case "line_too_long":
      return warn(
        `⚠ Line too long (${formatBytes(event.size)} encoded, at most ${
          formatBytes(event.max)
        }): not sent. Use /file for long texts.`,
      );
    case "held":
      return info(`… kept (${HELD[event.reason]}): ${labelOf(event.item)}`);
    case "not_a_peer":
      return warn(`⚠ "${event.name}" is not another device's id.`);
    case "same_peer":
      return info(`Already talking to ${event.name}.`);
    case "peer_switched":
      return info(
        `↔ Now talking to ${event.peer} (${onOff(event.online)})` +
          (event.left > 0
            ? `; ${event.left} unconfirmed message(s) to ${event.previous} wait until you switch back`
            : ""),
      );
    case "kms_unreachable":
      return warn(`⚠ ${event.message}: link status unknown, retrying.`);
    case "kms_back":
      return ok("✓ KMS reachable again.");
    case "key_ready":
      return ok(
        `✓ Quantum key established (QBER=${
          formatQber(event.key.qber)
        }) | Status: ${event.key.status}`,
      );
    case "no_key": {
      const why = "failed" in event.cause
        ? event.cause.failed
        : `${event.cause.refused} (status ${event.cause.status ?? "unknown"})`;
      return warn(
        `⚠ No key from the KMS: ${why}. Retrying every ${
          event.retryMs / 1000
        } s.`,
      );
    }
    case "unknown_key":
      return warn(
        `⚠ The KMS does not know key ${event.keyId}: a packet from ${event.peer} was dropped (a restarted KMS forgets pair keys; otherwise the packet was tampered with).`,
      );
    case "key_fetch_failed":
      return warn(`⚠ Cannot fetch key ${event.keyId}: ${event.message}`);
    case "link_red":
      return alert(
        `⚠ QUANTUM LINK RED (QBER=${
          formatQber(event.qber)
        }) — possible eavesdropper! Chat suspended: typed lines are kept until the link is GREEN again.`,
      );
    case "link_back":
      return ok(
        `✓ Quantum link ${event.status} again (QBER=${
          formatQber(event.qber)
        }) — re-keying.`,
      );
    case "relay_connected":
      return ok(
        `✓ Connected to the relay as ${event.deviceId} (${event.peer} is ${
          onOff(event.online)
        }).`,
      );
    case "relay_reconnected":
      return ok(
        event.url === undefined
          ? "✓ Reconnected to the relay — re-keying."
          : `✓ Reconnected to the relay at ${event.url} — re-keying.`,
      );
    case "relay_unreachable":
      return warn(
        `⚠ Cannot reach the relay at ${event.url} (${event.reason}); retrying.`,
      );
    case "connection_lost":
      return alert(
        "❌ Connection lost — quantum channel may be compromised. Awaiting re-key.",
      );
    case "relay_refused":
      // The relay's words for a second client of the same device
      // (relay/registration.ts); its other duplicate_device is a bug here.
      if (
        event.code === "duplicate_device" &&
        event.message.includes("is already online")
      ) {
        return warn(
          "⚠ This device is already connected to the relay from another client (started twice?): close the other one. Retrying.",
        );
      }
      return warn(
        `⚠ The relay refused a frame: ${event.code} — ${event.message}`,
      );
    case "presence":
      return info(`• ${event.peer} is ${onOff(event.online)}.`);
    case "packet_refused":
      if (event.reason === "replay") {
        return warn("[!] Replayed packet dropped.");
      }
      if (event.reason === "malformed") {
        return alert("[!] Malformed packet dropped.");
      }
      return alert("[!] Verification failed — possible tampering!");
    case "stranger":
      return warn(
        `⚠ Ignored a packet from ${event.sender}; you are talking to ${event.peer} (/peer ${event.sender} to switch).`,
      );
    case "e2e_ready":
      return ok(
        `🔐 End-to-end key ready with ${event.peer} (ML-KEM-768 + QKD key ${event.kmsKeyId}): chat is open.`,
      );
    case "receipt_refused":
      return warn(
        `✗ ${event.sender} did not take ${
          labelOf(event.entry.item)
        }: ${event.refused}`,
      );
    case "expired_held":
      return warn(
        `⚠ ${event.count} packet(s) from ${event.peer} arrived under an end-to-end key this client does not have and were dropped; the peer sends them again.`,
      );
    case "receive_failed":
      return warn(`⚠ ${event.error}`);
    case "internal_error":
      return alert(
        `✗ Internal error: ${(event.error as Error)?.stack ?? event.error}`,
      );
  }
}

/** What `/status` shows. */
export interface StatusReport {
  deviceId: string;
  peer: string;
  peerOnline: boolean;
  channel: ChannelStatus;
  /** Why the KMS cannot be reached, while it cannot. */
  kmsProblem?: string;
  link?: { status: LinkStatus; qber: number };
  linkRed: boolean;
  relay: "connected" | "reconnecting" | "not_started";
  relayUrl: string;
  /** Unconfirmed entries for the peer. */
  outbox: number;
  /** Unconfirmed entries for other peers. */
  others: number;
}

/**
 * The lines of `/status`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { statusLines } from "./messages.ts";
 * const lines = statusLines({
 *   deviceId: "Soldier_Alpha",
 *   peer: "Soldier_Bravo",
 *   peerOnline: true,
 *   channel: {},
 *   linkRed: false,
 *   relay: "connected",
 *   relayUrl: "ws://127.0.0.1:8765",
 *   outbox: 0,
 *   others: 2,
 * });
 * assertEquals(lines.at(-1), "  outbox: 0 unconfirmed (+2 for other peers)");
 * ```
 */
export function statusLines(report: StatusReport): string[] {
  const { channel, link } = report;
  const relay = {
    connected: "connected",
    reconnecting: "disconnected, reconnecting",
    not_started: "not connected yet (first a key from the KMS)",
  }[report.relay];
  return [
    `Status: ${report.deviceId} ↔ ${report.peer} (${onOff(report.peerOnline)})`,
    `  key_id: ${channel.keyId ?? "none yet"} | QBER: ${
      channel.qber === undefined ? "-" : formatQber(channel.qber)
    }`,
    `  end-to-end key: ${
      channel.sendKeyId ??
        (channel.offerSentAt === undefined
          ? "none"
          : "ML-KEM handshake in progress")
    }`,
    `  link: ${
      report.kmsProblem !== undefined
        ? `unknown (${report.kmsProblem})`
        : link
        ? `${link.status} (QBER ${formatQber(link.qber)})`
        : "unknown"
    }${report.linkRed ? " — chat suspended" : ""}`,
    `  relay: ${relay} (${report.relayUrl})`,
    `  outbox: ${report.outbox} unconfirmed` +
    (report.others > 0 ? ` (+${report.others} for other peers)` : ""),
  ];
}

const PREVIEW_CHARS = 40;

/**
 * How an outbox item is named in status lines: a line quoted (long ones
 * cut), a file by its name.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { labelOf } from "./messages.ts";
 * assertEquals(labelOf({ kind: "msg", text: "Hold position" }), '"Hold position"');
 * assertEquals(
 *   labelOf({ kind: "file", name: "map.png", data: new Uint8Array() }),
 *   "📎 map.png",
 * );
 * ```
 */
export function labelOf(item: OutboxItem): string {
  if (item.kind === "file" && item.voice !== undefined) {
    return `🎤 ${formatDuration(item.voice)} voice note`;
  }
  if (item.kind === "file") return `📎 ${item.name}`;
  const { text } = item;
  return JSON.stringify(
    text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text,
  );
}

function commandProblem(problem: CommandProblem): string {
  switch (problem.kind) {
    case "takes_no_argument":
      return `/${problem.name} takes no argument`;
    case "missing_argument":
      return `usage: /${problem.name} ${problem.argument}`;
    case "unknown_command":
      return `unknown command /${problem.name} (type /help; // sends a line starting with /)`;
  }
}

function onOff(online: boolean): string {
  return online ? "online" : "offline";
}
