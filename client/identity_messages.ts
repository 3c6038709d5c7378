/**
 * The status lines of device identity: relay tickets, the authenticated
 * handshake, pinned keys, `/verify` and `/trust`. Part of messages.ts's
 * `describe`, kept here so each module stays small.
 *
 * @module
 */

import type {
  HandshakeRefusal,
  SafetyNumbers,
  TrustEvent,
} from "./handshake_auth.ts";
import type { TicketEvent } from "./relay_tickets.ts";
import { alert, info, type Line, ok, warn } from "./status_line.ts";

/** The client's own identity events. */
export type IdentityOwnEvent =
  | { kind: "token_needed"; deviceId: string; hadToken: boolean }
  | {
    kind: "safety_numbers";
    deviceId: string;
    peer: string;
    numbers: SafetyNumbers;
  }
  | { kind: "trusted"; peer: string }
  | { kind: "nothing_to_trust"; peer: string }
  | {
    /** /trust refused: /verify has not shown the changed key waiting. */
    kind: "not_verified";
    peer: string;
  }
  | {
    /** The relay refused this device's ticket, a fresh one too. */
    kind: "relay_ticket_refused";
    deviceId: string;
    /** The relay's address. */
    url: string;
    code: "ticket_required" | "ticket_invalid";
    /** The relay's words. */
    message: string;
  };

/** Every identity event. */
export type IdentityEvent = IdentityOwnEvent | TicketEvent | TrustEvent;

const KINDS: ReadonlySet<string> = new Set<IdentityEvent["kind"]>([
  "token_needed",
  "safety_numbers",
  "trusted",
  "nothing_to_trust",
  "not_verified",
  "relay_ticket_refused",
  "no_tickets",
  "ticket_key_changed",
  "ticket_refused",
  "ticket_failed",
  "handshake_unauthenticated",
  "peer_pinned",
  "peer_key_changed",
  "handshake_refused",
]);

/**
 * Whether `event` is one of {@linkcode describeIdentity}'s.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { isIdentityEvent } from "./identity_messages.ts";
 * assertEquals(isIdentityEvent({ kind: "no_tickets" }), true);
 * assertEquals(isIdentityEvent({ kind: "bye" }), false);
 * ```
 */
export function isIdentityEvent(
  event: { kind: string },
): event is IdentityEvent {
  return KINDS.has(event.kind);
}

const REFUSALS: Record<HandshakeRefusal, string> = {
  unsigned: "it carries no ticket or signature",
  ticket_malformed: "its ticket is malformed",
  ticket_bad_signature: "its ticket is not signed by this KMS",
  ticket_expired: "its ticket expired",
  ticket_not_yet_valid: "its ticket is not valid yet (are the clocks apart?)",
  ticket_wrong_device: "its ticket is another device's",
  bad_signature: "its signature does not match (altered on the way)",
};

/**
 * The status line for an identity event.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { describeIdentity } from "./identity_messages.ts";
 * assertEquals(describeIdentity({ kind: "trusted", peer: "Soldier_Bravo" }), {
 *   tone: "ok",
 *   text: "✓ Trusted Soldier_Bravo's new identity key; re-keying.",
 * });
 * ```
 */
export function describeIdentity(
  event: IdentityEvent,
): Line {
  switch (event.kind) {
    case "token_needed": {
      const file = `credentials/${event.deviceId}.json`;
      return warn(
        `⚠ The KMS refused ${event.deviceId}: ${
          event.hadToken ? "its token is not valid" : "no token given"
        }. On the KMS host run: deno task kms:enroll ${event.deviceId} --credentials ${file}; then start the client with --credentials ${file}.`,
      );
    }
    case "relay_ticket_refused": {
      const cannot =
        `✗ ${event.deviceId} cannot register with the relay at ${event.url}`;
      const until = "Retrying; no chat until then.";
      if (event.code === "ticket_required") {
        return alert(
          `${cannot}: it admits devices only with a relay ticket from the KMS, and this device has none (the KMS's answer is above). ${until}`,
        );
      }
      return alert(
        `${cannot}: it refused a fresh relay ticket from the KMS too (${event.message}). The relay must trust this KMS's ticket key (its --ticket-key file or --kms URL), and the clocks of KMS and relay must agree. ${until}`,
      );
    }
    case "no_tickets":
      return warn(
        "⚠ This KMS issues no relay tickets: registering without one, and handshakes are authenticated only by the KMS key.",
      );
    case "ticket_key_changed":
      return alert(
        "⚠ THE KMS'S TICKET KEY CHANGED since this device last saw it (a KMS with a new data folder, or an impostor). Keys pinned for peers still hold: /verify each peer.",
      );
    case "ticket_refused":
      return warn(
        `⚠ The KMS refused a relay ticket: ${event.message}${
          event.reason === "key_mismatch"
            ? " (this device's identity key is not the one the KMS bound to it)"
            : ""
        }. Registering without one.`,
      );
    case "ticket_failed":
      return warn(`⚠ No relay ticket yet: ${event.message}; retrying.`);
    case "handshake_unauthenticated":
      return warn(
        `⚠ The handshake with ${event.peer} is NOT authenticated (this KMS issues no relay tickets): a KMS that also runs the relay could sit in the middle.`,
      );
    case "peer_pinned":
      return info(
        `🔑 Pinned ${event.peer}'s identity key (first contact, certified by the KMS). Compare safety numbers by voice: /verify ${event.peer}`,
      );
    case "peer_key_changed":
      return alert(
        `⚠ ${event.peer}'S IDENTITY KEY CHANGED — a re-enrolled device, or someone in the middle! Chat with ${event.peer} is stopped. Compare safety numbers by voice (/verify ${event.peer}), then /trust ${event.peer} to accept the new key.`,
      );
    case "handshake_refused":
      return alert(
        `[!] Handshake from ${event.peer} refused: ${
          REFUSALS[event.why]
        } — possible man in the middle!`,
      );
    case "safety_numbers": {
      const { pinned, changed } = event.numbers;
      if (!pinned && !changed) {
        return info(
          `No identity key of ${event.peer} pinned yet: no authenticated handshake with it so far.`,
        );
      }
      const compare =
        ` — read it to ${event.peer}, whose /verify ${event.deviceId} must show the same digits`;
      if (!changed) {
        return info(`Safety number with ${event.peer}: ${pinned}${compare}.`);
      }
      const before = pinned ? ` (with the key pinned before: ${pinned})` : "";
      return alert(
        `Safety number with ${event.peer}'s NEW key: ${changed}${before}${compare}; /trust ${event.peer} accepts it.`,
      );
    }
    case "trusted":
      return ok(`✓ Trusted ${event.peer}'s new identity key; re-keying.`);
    case "nothing_to_trust":
      return info(
        `${event.peer}'s identity key has not changed: nothing to trust.`,
      );
    case "not_verified":
      return warn(
        `⚠ Not trusted: run /verify ${event.peer} again: the key changed since (or /verify has not shown it yet). Compare the new safety number by voice, then /trust ${event.peer}.`,
      );
  }
}
