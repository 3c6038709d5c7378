/**
 * Test fakes for the chat client's injected parts: a relay connection
 * whose events the test fires, a KMS with scripted answers, typed input
 * and a terminal that records its lines.
 *
 * @module
 */

import {
  type ChatPacket,
  generateIdentity,
  type Identity,
  issueTicket,
  type LinkStatusResponse,
} from "../protocol/mod.ts";
import type { ClientState } from "./client_state.ts";
import { Conversation } from "./conversation.ts";
import { KeyPins } from "./key_pins.ts";
import type { KeyAnswer, KmsApi, KmsKey } from "./kms_client.ts";
import type { TicketAnswer, TicketKeyAnswer } from "./kms_tickets.ts";
import type { LineSource } from "./line_reader.ts";
import type { RelayConnection, RelayEvents } from "./relay_link.ts";
import { SecureChannel } from "./secure_channel.ts";
import { Terminal } from "./terminal.ts";
import { SAMPLE_LINK_REPORT } from "../protocol/_test_link_report.ts";

/** A relay connection that records what is sent; the test plays the relay. */
export class FakeRelay implements RelayConnection {
  /** Every frame sent while up. */
  readonly sent: ChatPacket[] = [];
  /** Set by `start`. */
  events?: RelayEvents;
  /** Whether sends go out. */
  up = false;

  start(events: RelayEvents): void {
    this.events = events;
  }

  send(frame: { type?: string; id?: string }): boolean {
    if (!this.up) return false;
    this.sent.push(frame as ChatPacket);
    return true;
  }

  close(): Promise<void> {
    this.up = false;
    return Promise.resolve();
  }

  /** Registers: the client is told it is up. */
  connect(online: string[], reconnected = false): void {
    this.up = true;
    this.events!.onUp({ online, reconnected });
  }
}

/** A KMS that hands out `keys` in order and answers polls with `status`. */
export class FakeKms implements KmsApi {
  /** What the next key requests get, in order; the last one repeats. */
  answers: (KeyAnswer | Error)[];
  /** The link status polls see. */
  link: Pick<LinkStatusResponse, "status" | "qber"> = {
    status: "GREEN",
    qber: 0.02,
  };
  /** Every key request, as `peer` or `peer key_id`. */
  readonly requests: string[] = [];
  /** Keys fetchable by id. */
  readonly byId = new Map<string, KmsKey>();
  /** The ticket signing key: without one, a KMS from before tickets. */
  issuer?: Identity;
  /** The device tickets are for. */
  deviceId = "Soldier_Alpha";

  constructor(answers: (KeyAnswer | Error)[], issuer?: Identity) {
    this.answers = answers;
    this.issuer = issuer;
  }

  ticketKey(): Promise<TicketKeyAnswer> {
    return Promise.resolve(
      this.issuer
        ? { ok: true, publicKey: this.issuer.publicKey }
        : { ok: false, reason: "no_tickets" },
    );
  }

  async relayTicket(publicKey: Uint8Array): Promise<TicketAnswer> {
    if (!this.issuer) {
      return { ok: false, reason: "no_tickets", message: "not_found" };
    }
    const now = Date.now() / 1000;
    return {
      ok: true,
      ticket: await issueTicket(this.issuer, {
        deviceId: this.deviceId,
        publicKey,
        now,
        lifetimeSeconds: 3600,
      }),
      expiresAt: Math.floor(now + 3600),
    };
  }

  sessionKey(request: { peerId: string; keyId?: string }): Promise<KeyAnswer> {
    const { peerId, keyId } = request;
    this.requests.push(keyId === undefined ? peerId : `${peerId} ${keyId}`);
    if (keyId !== undefined) {
      const key = this.byId.get(keyId);
      return Promise.resolve(
        key
          ? { ok: true, key }
          : { ok: false, reason: "unknown_key", error: "unknown_key" },
      );
    }
    const answer = this.answers.length > 1
      ? this.answers.shift()!
      : this.answers[0];
    return answer instanceof Error
      ? Promise.reject(answer)
      : Promise.resolve(answer);
  }

  linkStatus(): Promise<LinkStatusResponse> {
    return Promise.resolve({
      ...this.link,
      total_keys_issued: 0,
      attacks_detected: 0,
      active_sessions: 0,
      history: [],
      router_last_seen: null,
      attack_mode: false,
      link: SAMPLE_LINK_REPORT,
    });
  }
}

/** Typed lines, given by the test one at a time. */
export class FakeInput implements LineSource {
  readonly #lines: (string | null)[] = [];
  #waiting?: (line: string | null) => void;

  /** Types a line; `null` is the end of input. */
  type(line: string | null): void {
    if (this.#waiting) {
      this.#waiting(line);
      this.#waiting = undefined;
    } else this.#lines.push(line);
  }

  next(): Promise<string | null> {
    if (this.#lines.length > 0) return Promise.resolve(this.#lines.shift()!);
    return new Promise((resolve) => this.#waiting = resolve);
  }

  cancel(): Promise<void> {
    this.#waiting?.(null);
    return Promise.resolve();
  }
}

/** A plain terminal whose lines are kept in `lines`. */
export function recordingTerminal(): { terminal: Terminal; lines: string[] } {
  const lines: string[] = [];
  const terminal = new Terminal({
    color: false,
    write: (text) => lines.push(...text.split("\n").filter((l) => l !== "")),
  });
  return { terminal, lines };
}

/** A device state in memory: a fresh identity, nothing pinned. */
export async function testState(): Promise<
  Pick<ClientState, "identity" | "pins">
> {
  return {
    identity: await generateIdentity(),
    pins: new KeyPins({ peers: {} }, () => Promise.resolve()),
  };
}

/** A fresh KMS key. */
export function testKey(keyId = "k-1", qber = 0.02): KmsKey {
  return {
    keyId,
    key: crypto.getRandomValues(new Uint8Array(32)),
    qber,
    status: "GREEN",
  };
}

/**
 * Alpha's conversation with Bravo, connected, both online and past the
 * handshake, and Bravo's end of the channel.
 */
export async function connectedPair(): Promise<{
  conversation: Conversation;
  bravo: SecureChannel;
}> {
  const key = testKey();
  const conversation = new Conversation("Soldier_Alpha", "Soldier_Bravo");
  conversation.connected = true;
  conversation.online = ["Soldier_Alpha", "Soldier_Bravo"];
  const bravo = new SecureChannel({
    deviceId: "Soldier_Bravo",
    peerId: "Soldier_Alpha",
  });
  await bravo.storeKey(key);
  const offer = await conversation.channel.adoptKey(key);
  const answer = await bravo.receive(offer!);
  if (answer.kind !== "handshake" || !answer.reply) {
    throw new Error(`no handshake reply: ${answer.kind}`);
  }
  await conversation.channel.receive(answer.reply);
  return { conversation, bravo };
}
