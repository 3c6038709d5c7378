/**
 * This device's relay ticket: the KMS's ticket key (pinned on first use),
 * the ticket that certifies the device's identity key (presented when it
 * registers with the relay and in every handshake), renewed before it
 * expires. A KMS from before tickets (404) leaves the client without one:
 * it registers without a ticket and its handshakes are not authenticated.
 *
 * @module
 */

import { delay } from "../common/std.ts";
import { sameBytes } from "./bytes.ts";
import type { KmsApi } from "./kms_client.ts";

/** Time between attempts while the KMS cannot be reached. */
export const TICKET_RETRY_MS = 3000;
/** A ticket is renewed once this share of its remaining life has passed. */
const RENEW_AT = 0.8;

/** What the ticket handling reports. */
export type TicketEvent =
  | {
    /** The KMS answers 404 to /ticket_key: said once. */
    kind: "no_tickets";
  }
  | {
    /** The KMS's ticket key is not the one pinned: it was replaced. */
    kind: "ticket_key_changed";
  }
  | {
    /** The KMS refused a ticket; not asked again. */
    kind: "ticket_refused";
    /** Why, as kms_tickets.ts names it. */
    reason: "unauthorized" | "forbidden" | "key_mismatch";
    /** The KMS's words. */
    message: string;
  }
  | {
    /** Asking failed (the KMS is unreachable); said once, then retried. */
    kind: "ticket_failed";
    /** Why. */
    message: string;
  };

/** Options for {@linkcode RelayTickets}. */
export interface RelayTicketsOptions {
  /** The KMS, for this device. */
  kms: Pick<KmsApi, "ticketKey" | "relayTicket">;
  /** This device's identity public key. */
  publicKey: Uint8Array;
  /** Where the KMS's ticket key is pinned. */
  pins: {
    readonly ticketKey: Uint8Array | undefined;
    pinTicketKey(key: Uint8Array): Promise<void>;
  };
  /** Told of every event. */
  onEvent: (event: TicketEvent) => void;
  /** Stops renewing. */
  signal: AbortSignal;
  /** Clock in milliseconds. Default `Date.now`. */
  now?: () => number;
  /** Default {@linkcode TICKET_RETRY_MS}. */
  retryMs?: number;
}

/**
 * The device's ticket, kept fresh.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { RelayTickets } from "./relay_tickets.ts";
 * const said: string[] = [];
 * const tickets = new RelayTickets({
 *   kms: {
 *     ticketKey: () => Promise.resolve({ ok: false, reason: "no_tickets" }),
 *     relayTicket: () => Promise.reject(new Error("not asked")),
 *   },
 *   publicKey: new Uint8Array(32),
 *   pins: { ticketKey: undefined, pinTicketKey: () => Promise.resolve() },
 *   onEvent: (event) => void said.push(event.kind),
 *   signal: new AbortController().signal,
 * });
 * await tickets.start();
 * assertEquals([tickets.kmsKey, tickets.ticket, said], [undefined, undefined, ["no_tickets"]]);
 * ```
 */
export class RelayTickets {
  readonly #options: RelayTicketsOptions;
  readonly #now: () => number;
  #kmsKey?: Uint8Array;
  #ticket?: { text: string; expiresAt: number };
  #saidNoTickets = false;

  /** Creates the ticket handling; {@linkcode RelayTickets.start} asks. */
  constructor(options: RelayTicketsOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** The KMS's ticket key, once known; none from a KMS without tickets. */
  get kmsKey(): Uint8Array | undefined {
    return this.#kmsKey;
  }

  /** The current ticket, while one is valid. */
  get ticket(): string | undefined {
    const ticket = this.#ticket;
    if (!ticket || ticket.expiresAt * 1000 <= this.#now()) return undefined;
    return ticket.text;
  }

  /**
   * Fetches the ticket key and a ticket (retrying while the KMS cannot be
   * reached) and resolves once there is a ticket or the KMS said why not;
   * renewal goes on until the signal.
   */
  async start(): Promise<void> {
    if (!await this.#readKey()) return;
    if (await this.#fetchTicket()) void this.#renewLoop();
  }

  /**
   * Asks the KMS again at once, a single time, for its key and a fresh
   * ticket, because a relay refused the one held (expired while the laptop
   * slept, or signed with a key the KMS has since replaced). Resolves when
   * the KMS answered or could not be reached.
   */
  async renew(): Promise<void> {
    if (await this.#readKey(true)) await this.#fetchTicket(true);
  }

  // False for a KMS without tickets (said once) or once stopped; `once`
  // asks a single time instead of until the KMS answers.
  async #readKey(once = false): Promise<boolean> {
    const key = await this.#retrying(
      () => this.#options.kms.ticketKey({ signal: this.#options.signal }),
      once,
    );
    if (!key?.ok) {
      if (key && this.#kmsKey === undefined) this.#noTickets();
      return false;
    }
    const { pins } = this.#options;
    const pinned = pins.ticketKey;
    if (!pinned || !sameBytes(pinned, key.publicKey)) {
      // A replaced KMS key is said loudly but followed: the peers' pinned
      // identity keys still catch a KMS that certifies an impostor.
      if (pinned) this.#options.onEvent({ kind: "ticket_key_changed" });
      await pins.pinTicketKey(key.publicKey);
    }
    this.#kmsKey = key.publicKey;
    return true;
  }

  async #renewLoop(): Promise<void> {
    const { signal } = this.#options;
    while (!signal.aborted && this.#ticket) {
      const left = this.#ticket.expiresAt * 1000 - this.#now();
      const wait = Math.max(1000, left * RENEW_AT);
      await delay(wait, { signal }).catch(() => {});
      // The key too: a KMS restarted with a new data folder signs with a
      // new one, and peers' tickets are checked against it.
      if (signal.aborted || !await this.#readKey()) return;
      await this.#fetchTicket();
    }
  }

  // True once a ticket is held; false when the KMS refused one.
  async #fetchTicket(once = false): Promise<boolean> {
    const { kms, publicKey, signal, onEvent } = this.#options;
    const answer = await this.#retrying(
      () => kms.relayTicket(publicKey, { signal }),
      once,
    );
    if (!answer) return false;
    if (answer.ok) {
      this.#ticket = { text: answer.ticket, expiresAt: answer.expiresAt };
      return true;
    }
    if (answer.reason === "no_tickets") {
      this.#noTickets();
    } else {
      onEvent({
        kind: "ticket_refused",
        reason: answer.reason,
        message: answer.message,
      });
    }
    this.#ticket = undefined;
    return false;
  }

  #noTickets(): void {
    if (this.#saidNoTickets) return;
    this.#saidNoTickets = true;
    this.#options.onEvent({ kind: "no_tickets" });
  }

  // The call's answer, retried while it throws (unless `once`); undefined
  // once stopped or failed.
  async #retrying<T>(
    request: () => Promise<T>,
    once: boolean,
  ): Promise<T | undefined> {
    const { signal, onEvent } = this.#options;
    let warned = false;
    while (!signal.aborted) {
      try {
        return await request();
      } catch (error) {
        if (signal.aborted) return undefined;
        if (!warned) {
          onEvent({ kind: "ticket_failed", message: (error as Error).message });
        }
        warned = true;
        if (once) return undefined;
      }
      await delay(this.#options.retryMs ?? TICKET_RETRY_MS, { signal })
        .catch(() => {});
    }
    return undefined;
  }
}
