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
import { httpRoomKms, type RoomKmsApi } from "./kms_rooms.ts";
import type { LineSource } from "./line_reader.ts";
import { Composer } from "./composer.ts";
import { KeptChat } from "./kept_chat.ts";
import { Leaving } from "./leaving.ts";
import { VoiceNotes } from "./voice_commands.ts";
import { KmsNews } from "./kms_news.ts";
import { LineOrder } from "./line_order.ts";
import { lineShower } from "./shown_line.ts";
import { LinkWatch } from "./link_watch.ts";
import { type ClientEvent, describe } from "./messages.ts";
import { relayEvents } from "./relay_events.ts";
import { type RelayConnection, RelayLink } from "./relay_link.ts";
import { RelayTickets } from "./relay_tickets.ts";
import { engineProtocol } from "./room_engine_protocol.ts";
import { type RoomSetup, setUpRooms } from "./room_setup.ts";
import type { RoomsOptions } from "./rooms.ts";
import { SessionKeys } from "./session_keys.ts";
import type { Terminal } from "./terminal.ts";

/** An unanswered ML-KEM offer is sent again after this long (peer online). */
const REOFFER_MS = 8000;
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
  /** The KMS's room routes. Default: {@linkcode httpRoomKms}. */
  roomKms?: RoomKmsApi;
  /** The rooms' sender-key engine. Default: {@linkcode engineProtocol}'s. */
  roomProtocol?: RoomsOptions["protocol"];
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
  readonly #rooms: RoomSetup;
  readonly #leaving: Leaving;
  readonly #news: KmsNews;
  readonly #kept: KeptChat;
  readonly #composer = new Composer({ say: (event) => this.#say(event) });
  readonly #tickets: RelayTickets;
  readonly #actions: ChatActions;
  readonly #stop = new AbortController();
  readonly #done = Promise.withResolvers<number>();
  #relayStarted = false;

  /** Creates a client; {@linkcode ChatClient.run} starts it. */
  constructor(config: ClientConfig, options: ChatClientOptions) {
    this.#config = config;
    this.#terminal = options.terminal;
    this.#input = options.input;
    const kms = options.kms ?? httpKms(config.kmsUrl, config);
    const voice = new VoiceNotes({
      dir: `${options.state.dir ?? "state"}/voice`,
      recorder: config.recorder,
      attach: (item) => this.#actions.attach(item),
      say: (event) => this.#say(event),
    });
    const onEvent = (event: ClientEvent) => this.#say(voice.numbered(event));
    this.#news = new KmsNews({
      config,
      say: onEvent,
      link: () => this.#link,
      adopt: (key) => this.#adopt(key),
    });
    const { identity, pins } = options.state;
    const tickets = new RelayTickets({
      kms,
      publicKey: identity.publicKey,
      pins,
      onEvent: (event) => this.#news.onTicketEvent(event),
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
      new RelayLink(config.relayUrls ?? config.relayUrl, {
        deviceId: config.deviceId,
        ticket: () => tickets.ticket,
        renewTicket: () => tickets.renew(),
        prove: (nonce) =>
          proveRegistration(identity, { nonce, deviceId: config.deviceId }),
        // Presence of the direct peer only; room members come with rooms.
        watch: () => [conversation.peer],
      });
    const send = (packet: ChatPacket) => this.#relay.send(packet);
    this.#keys = new SessionKeys({
      kms,
      peer: () => conversation.peer,
      onEvent: (event) => this.#news.onKeyEvent(event),
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
    this.#leaving = new Leaving({
      outbox: this.#delivery.outbox,
      kept: this.#kept,
      say: onEvent,
      finish: (code) => this.#finish(code),
    });
    const show = lineShower(this.#terminal, onEvent);
    this.#order = new LineOrder({
      show: (line) => {
        this.#kept.received(line);
        show(line);
      },
    });
    const inbox = new Inbox({
      maxFileBytes: config.maxFileBytes,
      seen: this.#kept.seen(),
    });
    this.#rooms = setUpRooms({
      config,
      kms: options.roomKms ?? httpRoomKms(config.kmsUrl, config),
      relay: this.#relay,
      conversation,
      outbox: this.#delivery.outbox,
      inbox,
      kept: this.#kept,
      show,
      protocol: options.roomProtocol ??
        engineProtocol({ deviceId: config.deviceId, identity, tickets, pins }),
      peer: (name) => this.#actions.peer(name),
      say: onEvent,
      print: (text) => this.#terminal.status("info", text),
    });
    this.#incoming = new Incoming({
      conversation,
      keys: this.#keys,
      inbox,
      delivery: this.#delivery,
      send,
      onEvent,
      onMessage: (sender, line) => this.#order.take(sender, line),
      onReceipt: () => this.#leaving.check(),
    });
    this.#link = new LinkWatch(kms, {
      onEvent,
      onRed: () => {
        conversation.linkRed = true;
        conversation.channel.suspend();
        this.#rooms.rooms.suspend();
        // The relay was lost before the link turned RED: now both are
        // known, the router's cut.
        if (this.#relayStarted && !conversation.connected) {
          this.#say({ kind: "connection_lost" });
        }
      },
      onGreen: () => {
        conversation.linkRed = false;
        void this.#keys.rekey();
        // A reset moved every room to a new epoch: re-read and re-key.
        void this.#rooms.rooms.refresh();
      },
    });
    const roomActions = this.#rooms.actions;
    this.#actions = {
      ...roomActions,
      voice: (seconds) => voice.record(seconds),
      play: (n) => voice.play(n),
      ...chatCommands({
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
        relay: this.#relay,
        room: roomActions,
      }),
    };
  }

  /**
   * Runs until `/quit`, a signal ({@linkcode ChatClient.quit}) or the end
   * of input, and resolves with the exit code: 0, or 1 when end of input
   * left messages unconfirmed.
   */
  async run(): Promise<number> {
    const { deviceId, kmsUrl, relayUrls } = this.#config;
    const relayUrl = relayUrls?.join(", ") ?? this.#config.relayUrl;
    const peer = this.#conversation.peer;
    this.#terminal.label = `[${shortName(deviceId)}]`;
    this.#say({ kind: "banner", deviceId, peer, kmsUrl, relayUrl });
    this.#say({ kind: "hint" });
    this.#kept.start();
    this.#rooms.start().catch((error) => this.#fail(error));
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
        rooms: this.#rooms.rooms,
        offerAgain: () => this.#offerAgain(),
        say: (event) => this.#say(event),
      }));
    }).catch((error) => this.#fail(error));
    const code = await this.#done.promise;
    clearInterval(ticker);
    this.#order.close();
    this.#rooms.close();
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
    if (!this.#stop.signal.aborted) this.#leaving.quit();
  }

  async #readInput(): Promise<void> {
    while (!this.#stop.signal.aborted) {
      const line = await this.#input.next();
      // Cancelled by a quit: not the user's end of input.
      if (this.#stop.signal.aborted) return;
      if (line === null) return this.#leaving.endOfInput();
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
    void this.#rooms.rooms.tick();
    this.#leaving.check();
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
