/**
 * The client's connection to the relay: connect, register, hand frames
 * over, notice a dead connection, and reconnect with exponential backoff
 * using the relay's resume token, so that the new socket replaces the old
 * one even if the relay has not noticed yet that it died.
 *
 * A connection counts as dead when it closes, when registering takes longer
 * than the answer timeout, or when a frame sent with an id gets no ack
 * within it: a router that drops the chat port leaves the socket open but
 * silent (and a new connection hanging), while a live relay answers a
 * registration and acks every chat frame at once, whatever becomes of it.
 * A link with nothing to say sends a `ping` now and then, which the relay
 * answers with a `pong`, so an idle link finds out too.
 *
 * A link holding a ticket registers with the proof that it is the
 * ticket's device, answering the relay's challenge (relay_register.ts).
 *
 * A registration refused for its ticket (`ticket_required`,
 * `ticket_invalid`) is answered once, quietly, by a fresh ticket and a new
 * attempt: one that expired while the laptop slept is no news. Refused
 * again, the refusal is handed over, for the soldier to be told why. A
 * live connection the relay closes because its ticket expired (a
 * `ticket_invalid` error frame, close code 4002) is no news either: a
 * fresh ticket, and the registration resumed at once.
 *
 * A link given several relays (the nodes of a cluster, or independent
 * relays sharing the KMS's ticket key) moves to the next one whenever a
 * connection is lost or cannot be made, at once while a round has relays
 * left, with the backoff after a whole round failed (relay_urls.ts). It
 * presents the same resume token there; the link re-sends nothing itself,
 * the client's outbox re-sends every line not yet confirmed by the peer's
 * receipt, and the peer drops repeats by message id, so a failover neither
 * loses nor doubles a line.
 *
 * @module
 */

import {
  type ErrorCode,
  type ErrorFrame,
  parseServerFrame,
  type PingFrame,
} from "../protocol/mod.ts";
import type { BackoffOptions } from "./backoff.ts";
import type {
  RelayConnection,
  RelayEvents,
  RelayState,
} from "./relay_connection.ts";
import { registerFrame } from "./relay_register.ts";
import { RelayUrls } from "./relay_urls.ts";

const CLOSE_WAIT_MS = 1000;
const TICKET_REFUSALS: ReadonlySet<ErrorCode> = new Set([
  "ticket_required",
  "ticket_invalid",
]);
const WATCHDOG_MS = 250;

export type {
  LinkFrame,
  RelayConnection,
  RelayEvents,
  RelayState,
} from "./relay_connection.ts";

/** Options for {@linkcode RelayLink}. */
export interface RelayLinkOptions {
  /** The device to register as. */
  deviceId: string;
  /** The device's current relay ticket, presented at each registration. */
  ticket?: () => string | undefined;
  /**
   * Gets a fresh ticket from the KMS, once, after the relay refused the
   * one presented; resolves when the KMS answered or failed.
   */
  renewTicket?: () => Promise<void>;
  /**
   * Signs the relay's challenge nonce with the device's identity key
   * (`proveRegistration`), for a registration with a ticket.
   */
  prove?: (nonce: string) => Promise<string>;
  /** The devices whose presence to hear of, said at each registration. */
  watch?: () => string[];
  /** Reconnect delays (after a round over every relay failed). */
  backoff?: BackoffOptions;
  /**
   * The relay must answer a registration, and ack a frame sent with an id,
   * within this. Default 6 s.
   */
  answerTimeoutMs?: number;
  /** A link that sent nothing for this long sends a ping. Default 2 s. */
  heartbeatMs?: number;
}

/**
 * A self-healing relay connection, to one relay or to the first of several
 * that answers.
 *
 * @example
 * ```ts ignore
 * import { assertEquals } from "@std/assert";
 * import { RelayLink } from "./relay_link.ts";
 * const link = new RelayLink(["ws://127.0.0.1:8765", "ws://127.0.0.1:8766"], {
 *   deviceId: "Soldier_Alpha",
 * });
 * const online = Promise.withResolvers<string[]>();
 * link.start({
 *   onUp: (info) => online.resolve(info.online),
 *   onDown: () => {},
 *   onFrame: () => {},
 * });
 * assertEquals((await online.promise).includes("Soldier_Alpha"), true);
 * await link.close();
 * ```
 */
export class RelayLink implements RelayConnection {
  readonly #urls: RelayUrls;
  readonly #options: RelayLinkOptions;
  readonly #answerTimeoutMs: number;
  readonly #heartbeatMs: number;
  #events?: RelayEvents;
  #lastSentAt = 0;
  #pings = 0;
  // Ids of sent frames whose ack has not come, with the time they went out.
  readonly #unacked = new Map<string, number>();
  #socket?: WebSocket;
  #state: RelayState = "connecting";
  #resume?: string;
  #everUp = false;
  // The relay it was last registered on.
  #upUrl?: string;
  // A refused ticket was renewed since the last registration.
  #ticketRenewed = false;
  // The relay said the live connection's ticket expired; until registered
  // again, the link is renewing it.
  #ticketExpired = false;
  // The current socket's challenge nonce, once the relay sent it.
  #challenge?: PromiseWithResolvers<string>;
  #connectingSince?: number;
  #retryTimer?: ReturnType<typeof setTimeout>;
  #watchdog?: ReturnType<typeof setInterval>;
  // Each socket this link opened, until its close event.
  readonly #closing = new Map<WebSocket, Promise<void>>();

  /**
   * Creates a link to `urls` (one URL, or several tried in turn);
   * {@linkcode RelayLink.start} connects.
   */
  constructor(urls: string | readonly string[], options: RelayLinkOptions) {
    this.#urls = new RelayUrls(
      typeof urls === "string" ? [urls] : urls,
      options.backoff,
    );
    this.#options = options;
    this.#answerTimeoutMs = options.answerTimeoutMs ?? 6000;
    this.#heartbeatMs = options.heartbeatMs ?? 2000;
  }

  /** Where the link is. */
  get state(): RelayState {
    return this.#state;
  }

  /** The relay the link is on, or trying. */
  get url(): string {
    return this.#urls.current;
  }

  /**
   * Connects, and keeps reconnecting until {@linkcode RelayLink.close},
   * reporting to `events`.
   */
  start(events: RelayEvents): void {
    this.#events = events;
    this.#watchdog = setInterval(() => this.#checkAnswers(), WATCHDOG_MS);
    this.#connect();
  }

  /**
   * Sends a frame as JSON if registered; returns whether it went out. A
   * frame with an `id` is expected to be acked.
   */
  send(frame: { type?: string; id?: string }): boolean {
    const socket = this.#socket;
    if (this.#state !== "up" || socket?.readyState !== WebSocket.OPEN) {
      return false;
    }
    socket.send(JSON.stringify(frame));
    this.#lastSentAt = performance.now();
    if (typeof frame.id === "string") {
      this.#unacked.set(frame.id, this.#lastSentAt);
    }
    return true;
  }

  /**
   * Closes the connection for good and waits (up to a second: a silent
   * network may never answer) for its sockets to close.
   */
  async close(): Promise<void> {
    this.#state = "closed";
    clearTimeout(this.#retryTimer);
    clearInterval(this.#watchdog);
    this.#socket?.close(1000, "client closing");
    this.#socket = undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all(this.#closing.values()),
      new Promise((resolve) => timer = setTimeout(resolve, CLOSE_WAIT_MS)),
    ]);
    clearTimeout(timer);
  }

  #connect(): void {
    if (this.#state === "closed") return;
    const socket = new WebSocket(this.#urls.current);
    this.#socket = socket;
    this.#connectingSince = performance.now();
    this.#closing.set(
      socket,
      new Promise((resolve) => {
        socket.addEventListener("close", () => {
          this.#closing.delete(socket);
          resolve();
        });
      }),
    );
    const challenge = Promise.withResolvers<string>();
    this.#challenge = challenge;
    socket.addEventListener("open", () => {
      // A proof that cannot be made leaves the relay unanswered: the answer
      // timeout then tries again.
      this.#register(socket, challenge.promise).catch(() => {});
    });
    socket.addEventListener("message", (event) => {
      if (socket !== this.#socket) return;
      this.#onMessage(socket, event.data);
    });
    socket.addEventListener("close", (event) => {
      if (socket !== this.#socket) return;
      this.#lost(`connection closed (code ${event.code})`, {
        code: event.code,
        reason: event.reason,
      });
    });
  }

  async #register(
    socket: WebSocket,
    challenge: Promise<string>,
  ): Promise<void> {
    const register = await registerFrame(challenge, {
      deviceId: this.#options.deviceId,
      resume: this.#resume,
      ticket: this.#options.ticket?.(),
      prove: this.#options.prove,
      watch: this.#options.watch?.(),
    });
    if (socket !== this.#socket || socket.readyState !== WebSocket.OPEN) {
      return;
    }
    socket.send(JSON.stringify(register));
  }

  #onMessage(socket: WebSocket, data: unknown): void {
    // The relay sends text frames; anything else is not ours to act on.
    if (typeof data !== "string") return;
    const read = parseServerFrame(data);
    if (!read.ok) return this.#events?.onBadFrame?.(read);
    const { frame } = read;
    if (frame.type === "challenge") {
      this.#challenge?.resolve(frame.nonce);
      return;
    }
    if (frame.type === "registered") {
      if (this.#state !== "connecting") return;
      this.#resume = frame.resume;
      this.#urls.up();
      this.#ticketRenewed = false;
      this.#state = "up";
      this.#lastSentAt = performance.now();
      const reconnected = this.#everUp;
      this.#everUp = true;
      const url = this.#urls.current;
      const moved = reconnected && url !== this.#upUrl;
      this.#upUrl = url;
      const ticketExpired = this.#ticketExpired;
      this.#ticketExpired = false;
      this.#events?.onUp({
        online: frame.online,
        reconnected,
        ...(ticketExpired ? { ticketExpired } : {}),
        ...(moved ? { movedTo: url } : {}),
      });
      return;
    }
    if (frame.type === "pong") {
      this.#unacked.delete(frame.id);
      return;
    }
    if (frame.type === "error" && this.#state === "connecting") {
      return this.#refused(socket, frame);
    }
    if (frame.type === "error" && frame.code === "ticket_invalid") {
      // The relay closes the connection next (4002): see #lost.
      this.#ticketExpired = true;
      return;
    }
    if (frame.type === "ack") this.#unacked.delete(frame.id);
    this.#events?.onFrame(frame);
  }

  // A refused registration (a duplicate device id, a ticket refused) is
  // tried again later; a refused ticket is first renewed, once.
  #refused(socket: WebSocket, frame: ErrorFrame): void {
    const renew = this.#options.renewTicket;
    if (renew && !this.#ticketRenewed && TICKET_REFUSALS.has(frame.code)) {
      this.#ticketRenewed = true;
      // No longer this link's socket: its close is not a lost connection.
      this.#socket = undefined;
      socket.close(1000, "renewing the ticket");
      renew().catch(() => {}).finally(() => this.#connect());
      return;
    }
    this.#events?.onFrame(frame);
    socket.close(1000, "registration refused");
  }

  #checkAnswers(): void {
    const now = performance.now();
    if (
      this.#state === "up" && this.#unacked.size === 0 &&
      now - this.#lastSentAt >= this.#heartbeatMs
    ) {
      const ping: PingFrame = { type: "ping", id: `ping-${++this.#pings}` };
      this.send(ping);
    }
    const waitingSince = this.#state === "up"
      ? this.#unacked.values().next().value
      : this.#connectingSince;
    if (
      this.#socket === undefined || waitingSince === undefined ||
      now - waitingSince < this.#answerTimeoutMs
    ) {
      return;
    }
    const socket = this.#socket;
    this.#lost(`no answer from the relay within ${this.#answerTimeoutMs} ms`);
    // The socket may never finish closing on a silent network; it is no
    // longer this link's, so its events are ignored.
    socket.close(1000, "no answer");
  }

  #lost(reason: string, close?: { code: number; reason: string }): void {
    if (this.#state === "closed") return;
    const wasUp = this.#state === "up";
    const url = this.#urls.current;
    this.#socket = undefined;
    this.#unacked.clear();
    this.#state = "connecting";
    if (wasUp && this.#ticketExpired) {
      // Closed for its ticket's expiry: renewed, and resumed at once.
      this.#events?.onDown({ wasUp, url, reason, ticketExpired: true });
      const renew = this.#options.renewTicket ?? (() => Promise.resolve());
      renew().catch(() => {}).finally(() => this.#connect());
      return;
    }
    this.#ticketExpired = false;
    this.#events?.onDown({
      wasUp,
      url,
      reason,
      ...(close === undefined ? {} : { close }),
    });
    const delay = this.#urls.failed();
    this.#retryTimer = setTimeout(() => this.#connect(), delay);
  }
}
