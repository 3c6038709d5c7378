/**
 * The chat client: wires the KMS, the relay link, key handling, delivery,
 * receiving, the link monitor and the terminal together, and carries out
 * the commands.
 *
 * Life of a line: typed → outbox (message id) → encrypted under the hybrid
 * key when the relay is connected, the link is not RED and the handshake is
 * done → relay ack shown → the peer's receipt removes it from the outbox.
 * After a reconnect or a RED link the client re-keys, redoes the handshake
 * and sends every unconfirmed line again as a new packet; the peer shows
 * each message id once.
 *
 * @module
 */

import { type ChatPacket, proveRegistration } from "../protocol/mod.ts";
import { type ChatActions, chatCommands } from "./chat_commands.ts";
import type { ClientState } from "./client_state.ts";
import type { ClientConfig } from "./config.ts";
import { Conversation } from "./conversation.ts";
import { Delivery } from "./delivery.ts";
import { shortName } from "./format.ts";
import { HandshakeAuth } from "./handshake_auth.ts";
import { Inbox } from "./inbox.ts";
import { Incoming } from "./incoming.ts";
import { httpKms, type KmsApi, type KmsKey } from "./kms_client.ts";
import type { LineSource } from "./line_reader.ts";
import { Composer } from "./composer.ts";
import { KeptChat } from "./kept_chat.ts";
import { LineOrder } from "./line_order.ts";
import { LinkWatch } from "./link_watch.ts";
import { type ClientEvent, describe } from "./messages.ts";
import { relayEvents } from "./relay_events.ts";
import { type RelayConnection, RelayLink } from "./relay_link.ts";
import { RelayTickets, type TicketEvent } from "./relay_tickets.ts";
import { type KeyEvent, SessionKeys } from "./session_keys.ts";
import type { Terminal } from "./terminal.ts";

/** An unanswered ML-KEM offer is sent again after this long (peer online). */
const REOFFER_MS = 8000;
/** How long end of input waits for receipts. */
const EOF_WAIT_MS = 10_000;
const TICK_MS = 1000;

/** Options for {@linkcode ChatClient}. */
export interface ChatClientOptions {
  /** Where output goes. */
  terminal: Terminal;
  /** Where typed lines come from. */
  input: LineSource;
  /** The device's identity, pinned keys and kept chat (client_state.ts). */
  state: Pick<ClientState, "identity" | "pins"> & Partial<ClientState>;
  /** The relay. Default: a {@linkcode RelayLink} to `config.relayUrl`. */
  relay?: RelayConnection;
  /** The KMS. Default: {@linkcode httpKms} at `config.kmsUrl`. */
  kms?: KmsApi;
}

/**
 * A running chat client.
 *
 * @example
 * ```ts ignore
 * import { ChatClient } from "./chat_client.ts";
 * import { openClientState } from "./client_state.ts";
 * import { LineReader } from "./line_reader.ts";
 * import { stdoutTerminal } from "./terminal.ts";
 * const client = new ChatClient({
 *   deviceId: "Soldier_Alpha",
 *   peerId: "Soldier_Bravo",
 *   kmsUrl: "http://127.0.0.1:8000",
 *   relayUrl: "ws://127.0.0.1:8765",
 *   maxFileBytes: 8 * 1024 * 1024,
 * }, {
 *   terminal: stdoutTerminal(),
 *   input: new LineReader(Deno.stdin.readable),
 *   state: await openClientState("state", "Soldier_Alpha"),
 * });
 * Deno.exit(await client.run());
 * ```
 */
export class ChatClient {
  readonly #config: ClientConfig;
  readonly #terminal: Terminal;
  readonly #input: LineSource;
  readonly #relay: RelayConnection;
  readonly #link: LinkWatch;
  readonly #conversation: Conversation;
  readonly #keys: SessionKeys;
  readonly #delivery: Delivery;
  readonly #incoming: Incoming;
  readonly #order: LineOrder;
  readonly #kept: KeptChat;
  readonly #composer = new Composer({ say: (event) => this.#say(event) });
  readonly #tickets: RelayTickets;
  readonly #actions: ChatActions;
  readonly #stop = new AbortController();
  readonly #done = Promise.withResolvers<number>();
  #relayStarted = false;
  #eofDeadline?: number;
  #tokenHinted = false;

  /** Creates a client; {@linkcode ChatClient.run} starts it. */
  constructor(config: ClientConfig, options: ChatClientOptions) {
    this.#config = config;
    this.#terminal = options.terminal;
    this.#input = options.input;
    const kms = options.kms ?? httpKms(config.kmsUrl, config);
    const onEvent = (event: ClientEvent) => this.#say(event);
    const { identity, pins } = options.state;
    const tickets = new RelayTickets({
      kms,
      publicKey: identity.publicKey,
      pins,
      onEvent: (event) => this.#onTicketEvent(event),
      signal: this.#stop.signal,
    });
    this.#tickets = tickets;
    const auth = new HandshakeAuth({
      identity,
      tickets,
      pins,
      onEvent: (event) => {
        this.#say(event);
        // A fresh signed offer lets the peer pin this device's key, so both
        // soldiers can read their safety numbers before /trust.
        if (
          event.kind === "peer_key_changed" &&
          event.peer === this.#conversation.peer
        ) {
          void this.#keys.rekey();
        }
      },
    });
    const conversation = new Conversation(config.deviceId, config.peerId, {
      auth,
    });
    this.#conversation = conversation;
    this.#relay = options.relay ??
      new RelayLink(config.relayUrl, {
        deviceId: config.deviceId,
        ticket: () => tickets.ticket,
        renewTicket: () => tickets.renew(),
        prove: (nonce) =>
          proveRegistration(identity, { nonce, deviceId: config.deviceId }),
      });
    const send = (packet: ChatPacket) => this.#relay.send(packet);
    this.#keys = new SessionKeys({
      kms,
      peer: () => conversation.peer,
      onEvent: (event) => this.#onKeyEvent(event),
      signal: this.#stop.signal,
    });
    this.#delivery = new Delivery({
      conversation,
      send,
      onEvent,
      onError: (error) => this.#fail(error),
    });
    this.#kept = new KeptChat(options.state.chat, {
      deviceId: config.deviceId,
      outbox: this.#delivery.outbox,
      terminal: this.#terminal,
      say: onEvent,
    });
    this.#order = new LineOrder({
      show: (line) => {
        this.#kept.received(line);
        if (line.late) {
          this.#say({
            kind: "late_line",
            sender: line.sender,
            writtenAt: line.writtenAt,
          });
        }
        this.#terminal.message(line.sender, line.text, {
          at: new Date(line.writtenAt),
        });
      },
    });
    this.#incoming = new Incoming({
      conversation,
      keys: this.#keys,
      inbox: new Inbox({
        maxFileBytes: config.maxFileBytes,
        seen: this.#kept.seen(),
      }),
      delivery: this.#delivery,
      send,
      onEvent,
      onMessage: (sender, line) => this.#order.take(sender, line),
      onReceipt: () => this.#checkEndOfInput(),
    });
    this.#link = new LinkWatch(kms, {
      onEvent,
      onRed: () => {
        conversation.linkRed = true;
        conversation.channel.suspend();
        // The relay was lost before the link turned RED: now both are
        // known, the router's cut.
        if (this.#relayStarted && !conversation.connected) {
          this.#say({ kind: "connection_lost" });
        }
      },
      onGreen: () => {
        conversation.linkRed = false;
        void this.#keys.rekey();
      },
    });
    this.#actions = chatCommands({
      config,
      conversation,
      delivery: this.#delivery,
      keys: this.#keys,
      auth,
      link: this.#link,
      relayStarted: () => this.#relayStarted,
      say: onEvent,
      print: (text) => this.#terminal.status("info", text),
      history: (count) => this.#kept.show(count),
      compose: () => this.#composer.start(),
      quit: () => this.quit(),
    });
  }

  /**
   * Runs until `/quit`, a signal ({@linkcode ChatClient.quit}) or the end
   * of input, and resolves with the exit code: 0, or 1 when end of input
   * left messages unconfirmed.
   */
  async run(): Promise<number> {
    const { deviceId, kmsUrl, relayUrl } = this.#config;
    const peer = this.#conversation.peer;
    this.#terminal.label = `[${shortName(deviceId)}]`;
    this.#say({ kind: "banner", deviceId, peer, kmsUrl, relayUrl });
    this.#say({ kind: "hint" });
    this.#kept.start();
    this.#terminal.setPrompt(`${deviceId}> `);
    this.#link.start();
    const ticker = setInterval(() => this.#tick(), TICK_MS);
    this.#readInput().catch((error) => this.#fail(error));
    // The relay is tried once the KMS gave a key and said about tickets.
    Promise.all([this.#keys.rekey(), this.#tickets.start()]).then(() => {
      if (this.#stop.signal.aborted) return;
      this.#relayStarted = true;
      this.#relay.start(relayEvents({
        relayUrl: this.#config.relayUrl,
        conversation: this.#conversation,
        delivery: this.#delivery,
        incoming: this.#incoming,
        keys: this.#keys,
        offerAgain: () => this.#offerAgain(),
        say: (event) => this.#say(event),
      }));
    }).catch((error) => this.#fail(error));
    const code = await this.#done.promise;
    clearInterval(ticker);
    this.#order.close();
    await Promise.allSettled([
      this.#link.stop(),
      this.#relay.close(),
      this.#input.cancel(),
      // Work in flight ends quickly once stopped (requests are aborted).
      this.#keys.settled(),
      this.#incoming.settled(),
      this.#kept.saved(),
    ]);
    return code;
  }

  /** Leaves like `/quit`. */
  quit(): void {
    if (this.#stop.signal.aborted) return;
    const left = this.#delivery.outbox.entries();
    if (left.length > 0) this.#say({ kind: "leaving", count: left.length });
    for (const entry of left) this.#say({ kind: "not_confirmed", entry });
    this.#kept.leaving();
    this.#say({ kind: "bye" });
    this.#finish(0);
  }

  async #readInput(): Promise<void> {
    while (!this.#stop.signal.aborted) {
      const line = await this.#input.next();
      // Cancelled by a quit: not the user's end of input.
      if (this.#stop.signal.aborted) return;
      if (line === null) return this.#onEndOfInput();
      this.#terminal.showPrompt();
      const command = this.#composer.take(line);
      if (command === undefined) continue;
      if (command.kind === "text") this.#actions.submit(command.text);
      if (command.kind === "command") {
        await command.command.run(this.#actions, command.argument);
      }
      if (command.kind === "invalid") {
        this.#say({ kind: "invalid_command", problem: command.problem });
      }
    }
  }

  #onEndOfInput(): void {
    const count = this.#delivery.outbox.size();
    if (count === 0) return this.#finish(0);
    this.#eofDeadline = Date.now() + EOF_WAIT_MS;
    this.#say({ kind: "eof_waiting", count, waitMs: EOF_WAIT_MS });
  }

  #checkEndOfInput(): void {
    if (this.#eofDeadline === undefined) return;
    const left = this.#delivery.outbox.entries();
    if (left.length === 0) return this.#finish(0);
    if (Date.now() < this.#eofDeadline) return;
    for (const entry of left) this.#say({ kind: "not_confirmed", entry });
    this.#finish(1);
  }

  #onTicketEvent(event: TicketEvent): void {
    if (event.kind === "ticket_refused" && event.reason === "unauthorized") {
      return this.#tokenNeeded();
    }
    this.#say(event);
  }

  // A missing or refused token, from any KMS call: said once.
  #tokenNeeded(): void {
    if (this.#tokenHinted) return;
    this.#tokenHinted = true;
    const { deviceId, token } = this.#config;
    this.#say({
      kind: "token_needed",
      deviceId,
      hadToken: token !== undefined,
    });
  }

  async #onKeyEvent(event: KeyEvent): Promise<void> {
    if (
      event.kind === "no_key" && "failed" in event.cause &&
      event.cause.httpStatus === 401
    ) {
      this.#say(event);
      return this.#tokenNeeded();
    }
    if (event.kind === "refused_red") {
      return this.#link.report("RED", event.qber ?? this.#link.link?.qber ?? 0);
    }
    if (event.kind !== "key_ready") return this.#say(event);
    this.#link.report(event.key.status, event.key.qber);
    this.#say(event);
    await this.#adopt(event.key);
  }

  async #adopt(key: KmsKey): Promise<void> {
    const offer = await this.#conversation.channel.adoptKey(key);
    if (offer) this.#relay.send(offer);
    void this.#delivery.flush();
  }

  #tick(): void {
    const conversation = this.#conversation;
    const count = conversation.channel.expireHeld();
    if (count > 0) {
      this.#say({ kind: "expired_held", count, peer: conversation.peer });
    }
    const offeredAt = conversation.channel.status.offerSentAt;
    if (
      offeredAt !== undefined && Date.now() - offeredAt >= REOFFER_MS &&
      conversation.connected && !conversation.linkRed && conversation.peerOnline
    ) {
      this.#offerAgain();
    }
    if (conversation.canSend) void this.#delivery.flush();
    this.#checkEndOfInput();
  }

  #offerAgain(): void {
    this.#conversation.channel.offer().then((offer) => {
      if (offer) this.#relay.send(offer);
    }).catch((error) => this.#fail(error));
  }

  #say(event: ClientEvent): void {
    const { tone, text } = describe(event);
    this.#terminal.status(tone, text);
  }

  #fail(error: unknown): void {
    this.#say({ kind: "internal_error", error });
    this.#finish(70);
  }

  #finish(code: number): void {
    if (this.#stop.signal.aborted) return;
    // Leave the shell a clean line, not a dead prompt.
    this.#terminal.setPrompt("");
    this.#stop.abort();
    this.#done.resolve(code);
  }
}
