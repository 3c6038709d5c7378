/**
 * The chat client: wires the KMS, the relay link, the secure channel, the
 * outbox and inbox, the link monitor and the terminal together.
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

import {
  type ChatPacket,
  isDeviceId,
  type LinkStatus,
  parseChatPacket,
} from "../protocol/mod.ts";
import { AttachmentError, readAttachment } from "./attachment_file.ts";
import { splitChunks } from "./attachments.ts";
import { BoundedMap, BoundedSet } from "./bounded.ts";
import { parseCommand } from "./commands.ts";
import { type ClientConfig, HELP_TEXT } from "./config.ts";
import { formatBytes, formatQber, shortName } from "./format.ts";
import { Inbox } from "./inbox.ts";
import type { LineSource } from "./line_reader.ts";
import { LinkMonitor } from "./link_monitor.ts";
import { type KmsKey, requestSessionKey } from "./kms_client.ts";
import { Outbox, type OutboxEntry } from "./outbox.ts";
import { encodePayload, type Receipt } from "./payload.ts";
import { RelayLink } from "./relay_link.ts";
import { type Received, SecureChannel } from "./secure_channel.ts";
import { delay } from "@std/async/delay";
import type { Terminal } from "./terminal.ts";

/** Seconds between attempts to get a key while the KMS gives none. */
const REKEY_RETRY_MS = 2000;
/** An unconfirmed line is sent again after this long (peer online). */
const RESEND_MS = 10_000;
/** An unanswered ML-KEM offer is sent again after this long (peer online). */
const REOFFER_MS = 8000;
/** How long end of input waits for receipts. */
const EOF_WAIT_MS = 10_000;
/** Largest encoded message payload: keeps a packet far below 64 KiB. */
const MAX_MESSAGE_PAYLOAD_BYTES = 24 * 1024;
/** Attachment chunks sent before waiting for the relay's ack of the first. */
const FILE_WINDOW = 4;
const TICK_MS = 1000;
const PREVIEW_CHARS = 40;

/** The commands, as `/help` prints them. */
const COMMANDS_HELP = HELP_TEXT.slice(
  HELP_TEXT.indexOf("Commands:"),
  HELP_TEXT.indexOf("\n\nHow it works"),
);

type AckStatus = "delivered" | "queued" | "dropped" | "lost";

interface AckLabel {
  /** The outbox entry the packet carries. */
  mid: string;
  text: string;
  // Chunks before an attachment's last one report only drops.
  quiet: boolean;
}

/** Options for {@linkcode ChatClient}. */
export interface ChatClientOptions {
  /** Where output goes. */
  terminal: Terminal;
  /** Where typed lines come from. */
  input: LineSource;
}

/**
 * A running chat client.
 *
 * @example
 * ```ts ignore
 * import { ChatClient } from "./chat_client.ts";
 * import { LineReader } from "./line_reader.ts";
 * import { stdoutTerminal } from "./terminal.ts";
 * const client = new ChatClient({
 *   deviceId: "Soldier_Alpha",
 *   peerId: "Soldier_Bravo",
 *   kmsUrl: "http://127.0.0.1:8000",
 *   relayUrl: "ws://127.0.0.1:8765",
 *   maxFileBytes: 8 * 1024 * 1024,
 * }, { terminal: stdoutTerminal(), input: new LineReader(Deno.stdin.readable) });
 * Deno.exit(await client.run());
 * ```
 */
export class ChatClient {
  readonly #config: ClientConfig;
  readonly #terminal: Terminal;
  readonly #input: LineSource;
  readonly #relay: RelayLink;
  readonly #monitor: LinkMonitor;
  readonly #outbox = new Outbox();
  readonly #inbox: Inbox;
  readonly #acks = new BoundedMap<string, AckLabel>({ max: 4096 });
  // Outbox entries already reported as waiting long for a receipt.
  readonly #slowReceipts = new BoundedSet<string>({ max: 4096 });
  // The last relay ack shown for each outbox entry.
  readonly #shownAcks = new BoundedMap<string, AckStatus>({ max: 4096 });
  readonly #ackWaiters = new Map<string, (status: AckStatus) => void>();
  readonly #pendingReceipts = new BoundedMap<string, Receipt>({ max: 1024 });
  readonly #strangers = new BoundedSet<string>({ max: 64 });
  // Key ids the KMS said it does not know: not asked for again, so packets
  // under made-up key ids cannot make the client flood the KMS.
  readonly #unknownKeys = new BoundedSet<string>({ max: 256 });
  readonly #stop = new AbortController();
  readonly #done = Promise.withResolvers<number>();
  #peer: string;
  #channel: SecureChannel;
  #online: string[] = [];
  #connected = false;
  #relayWarned = false;
  #link?: { status: LinkStatus; qber: number };
  #linkRed = false;
  #rekeying?: Promise<void>;
  #relayStarted = false;
  #lastRelayError?: string;
  // Why the last link poll failed, while the KMS cannot be reached.
  #kmsProblem?: string;
  #kmsQueue: Promise<unknown> = Promise.resolve();
  #incoming: Promise<void> = Promise.resolve();
  #flushing = false;
  #flushAgain = false;
  #eofDeadline?: number;
  #ticker?: ReturnType<typeof setInterval>;

  /** Creates a client; {@linkcode ChatClient.run} starts it. */
  constructor(config: ClientConfig, options: ChatClientOptions) {
    this.#config = config;
    this.#terminal = options.terminal;
    this.#input = options.input;
    this.#peer = config.peerId;
    this.#channel = this.#newChannel();
    this.#inbox = new Inbox({ maxFileBytes: config.maxFileBytes });
    this.#relay = new RelayLink(config.relayUrl, {
      deviceId: config.deviceId,
      onUp: (info) => this.#onUp(info),
      onDown: (info) => this.#onDown(info),
      onFrame: (frame) => this.#onFrame(frame),
    });
    this.#monitor = new LinkMonitor(config.kmsUrl, {
      onStatus: (link) => {
        if (this.#kmsProblem !== undefined) {
          this.#kmsProblem = undefined;
          this.#say("ok", "✓ KMS reachable again.");
        }
        this.#onLinkStatus(link.status, link.qber);
      },
      onUnreachable: (error) => {
        // Once per outage: the monitor retries every few seconds.
        if (this.#kmsProblem === undefined) {
          this.#say(
            "warn",
            `⚠ ${error.message}: link status unknown, retrying.`,
          );
        }
        this.#kmsProblem = error.message;
      },
    });
  }

  /**
   * Runs until `/quit`, a signal ({@linkcode ChatClient.quit}) or the end
   * of input, and resolves with the exit code: 0, or 1 when end of input
   * left messages unconfirmed.
   */
  async run(): Promise<number> {
    const { deviceId, kmsUrl, relayUrl } = this.#config;
    this.#terminal.label = `[${shortName(deviceId)}]`;
    this.#say(
      "info",
      `QSTCS secure chat: ${deviceId} ↔ ${this.#peer} | KMS ${kmsUrl} | relay ${relayUrl}`,
    );
    this.#say("info", "Type a message and press Enter; /help lists commands.");
    this.#terminal.setPrompt(`${deviceId}> `);
    this.#monitor.start();
    this.#ticker = setInterval(() => this.#tick(), TICK_MS);
    this.#readInput().catch((error) => this.#fail(error));
    this.#rekey().then(() => {
      if (this.#stop.signal.aborted) return;
      this.#relayStarted = true;
      this.#relay.start();
    }).catch((error) => this.#fail(error));
    const code = await this.#done.promise;
    clearInterval(this.#ticker);
    await Promise.allSettled([
      this.#monitor.stop(),
      this.#relay.close(),
      this.#input.cancel(),
      // Work in flight ends quickly once stopped (requests are aborted).
      this.#rekeying,
      this.#kmsQueue,
      this.#incoming,
    ]);
    return code;
  }

  /** Leaves like `/quit`. */
  quit(): void {
    if (this.#stop.signal.aborted) return;
    const left = this.#outbox.entries();
    if (left.length > 0) {
      this.#say(
        "warn",
        `⚠ Leaving with ${left.length} unconfirmed message(s):`,
      );
      this.#listUnconfirmed(left);
    }
    this.#say("info", "Bye.");
    this.#finish(0);
  }

  // ---- input and commands ----

  async #readInput(): Promise<void> {
    while (!this.#stop.signal.aborted) {
      const line = await this.#input.next();
      // Cancelled by a quit: not the user's end of input.
      if (this.#stop.signal.aborted) return;
      if (line === null) return this.#onEndOfInput();
      this.#terminal.showPrompt();
      await this.#handleLine(line);
    }
  }

  async #handleLine(line: string): Promise<void> {
    const command = parseCommand(line);
    switch (command.kind) {
      case "none":
        return;
      case "text":
        return this.#submit(command.text);
      case "help":
        for (const help of COMMANDS_HELP.split("\n")) this.#say("info", help);
        return;
      case "quit":
        return this.quit();
      case "status":
        return this.#printStatus();
      case "rekey":
        if (this.#rekeying) {
          this.#say("info", "… A re-key is already in progress.");
        } else {
          this.#say("info", "… Re-keying: fetching a fresh key from the KMS.");
          this.#channel.suspend();
          void this.#rekey();
        }
        return;
      case "peer":
        return this.#switchPeer(command.name);
      case "file":
        return await this.#attach(command.path);
      case "invalid":
        this.#say("warn", `⚠ ${command.message}`);
    }
  }

  #submit(text: string): void {
    const size = encodePayload({ t: "msg", mid: crypto.randomUUID(), text })
      .length;
    if (size > MAX_MESSAGE_PAYLOAD_BYTES) {
      this.#say(
        "warn",
        `⚠ Line too long (${formatBytes(size)} encoded, at most ${
          formatBytes(MAX_MESSAGE_PAYLOAD_BYTES)
        }): not sent. Use /file for long texts.`,
      );
      return;
    }
    this.#outbox.add(this.#peer, { kind: "msg", text });
    this.#noteHeld(preview(text));
    void this.#flush();
  }

  async #attach(path: string): Promise<void> {
    let file;
    try {
      file = await readAttachment(path, {
        maxBytes: this.#config.maxFileBytes,
      });
    } catch (error) {
      if (!(error instanceof AttachmentError)) throw error;
      this.#say("warn", `✗ Cannot send ${path}: ${error.message}`);
      return;
    }
    const { name, data } = file;
    this.#outbox.add(this.#peer, { kind: "file", name, data });
    this.#say(
      "info",
      `📎 Sending ${name} (${formatBytes(data.length)}) to ${this.#peer}`,
    );
    this.#noteHeld(`📎 ${name}`);
    void this.#flush();
  }

  #switchPeer(name: string): void {
    if (!isDeviceId(name) || name === this.#config.deviceId) {
      this.#say("warn", `⚠ "${name}" is not another device's id.`);
      return;
    }
    if (name === this.#peer) {
      this.#say("info", `Already talking to ${name}.`);
      return;
    }
    const previous = this.#peer;
    const left = this.#outbox.size(previous);
    this.#peer = name;
    this.#channel = this.#newChannel();
    this.#pendingReceipts.clear();
    this.#say(
      "info",
      `↔ Now talking to ${name} (${this.#peerOnline ? "online" : "offline"})` +
        (left > 0
          ? `; ${left} unconfirmed message(s) to ${previous} wait until you switch back`
          : ""),
    );
    void this.#rekey();
  }

  #printStatus(): void {
    const status = this.#channel.status;
    const link = this.#link;
    const others = this.#outbox.size() - this.#outbox.size(this.#peer);
    const lines = [
      `Status: ${this.#config.deviceId} ↔ ${this.#peer} (${
        this.#peerOnline ? "online" : "offline"
      })`,
      `  key_id: ${status.keyId ?? "none yet"} | QBER: ${
        status.qber === undefined ? "-" : formatQber(status.qber)
      }`,
      `  end-to-end key: ${
        status.sendKeyId ??
          (status.offerSentAt === undefined
            ? "none"
            : "ML-KEM handshake in progress")
      }`,
      `  link: ${
        this.#kmsProblem !== undefined
          ? `unknown (${this.#kmsProblem})`
          : link
          ? `${link.status} (QBER ${formatQber(link.qber)})`
          : "unknown"
      }${this.#linkRed ? " — chat suspended" : ""}`,
      `  relay: ${
        this.#connected
          ? "connected"
          : this.#relayStarted
          ? "disconnected, reconnecting"
          : "not connected yet (first a key from the KMS)"
      } (${this.#config.relayUrl})`,
      `  outbox: ${this.#outbox.size(this.#peer)} unconfirmed` +
      (others > 0 ? ` (+${others} for other peers)` : ""),
    ];
    for (const line of lines) this.#say("info", line);
  }

  #onEndOfInput(): void {
    const left = this.#outbox.size();
    if (left === 0) return this.#finish(0);
    this.#eofDeadline = Date.now() + EOF_WAIT_MS;
    this.#say(
      "info",
      `… End of input: waiting up to ${
        EOF_WAIT_MS / 1000
      } s for ${left} message(s) to be confirmed.`,
    );
  }

  #checkEndOfInput(): void {
    if (this.#eofDeadline === undefined) return;
    const left = this.#outbox.entries();
    if (left.length === 0) return this.#finish(0);
    if (Date.now() < this.#eofDeadline) return;
    this.#listUnconfirmed(left);
    this.#finish(1);
  }

  #listUnconfirmed(entries: OutboxEntry[]): void {
    for (const entry of entries) {
      this.#say(
        "warn",
        `✗ Not confirmed by ${entry.peer}: ${labelOf(entry)}`,
      );
    }
  }

  // ---- keys ----

  /** Fetches a fresh key (waiting while the KMS gives none), then offers. */
  #rekey(): Promise<void> {
    this.#rekeying ??= this.#rekeyLoop().finally(() => {
      this.#rekeying = undefined;
    });
    return this.#rekeying;
  }

  async #rekeyLoop(): Promise<void> {
    let warned = false;
    while (!this.#stop.signal.aborted) {
      const peer = this.#peer;
      const answer = await this.#withKms(() =>
        requestSessionKey(this.#config.kmsUrl, {
          deviceId: this.#config.deviceId,
          peerId: peer,
          token: this.#config.token,
        }, { signal: this.#stop.signal }).catch((error: Error) => error)
      );
      if (this.#stop.signal.aborted) return;
      if (peer !== this.#peer) continue; // `/peer` meanwhile: ask for the new pair.
      if (!(answer instanceof Error) && answer.ok) {
        return await this.#adopt(answer.key);
      }
      if (!(answer instanceof Error) && answer.status === "RED") {
        this.#onLinkStatus("RED", answer.qber ?? this.#link?.qber ?? 0);
      } else if (!warned) {
        const why = answer instanceof Error
          ? answer.message
          : `${answer.error} (status ${answer.status ?? "unknown"})`;
        this.#say(
          "warn",
          `⚠ No key from the KMS: ${why}. Retrying every ${
            REKEY_RETRY_MS / 1000
          } s.`,
        );
      }
      warned = true;
      await delay(REKEY_RETRY_MS, { signal: this.#stop.signal }).catch(
        () => {},
      );
    }
  }

  async #adopt(key: KmsKey): Promise<void> {
    this.#onLinkStatus(key.status, key.qber);
    this.#say(
      "ok",
      `✓ Quantum key established (QBER=${
        formatQber(key.qber)
      }) | Status: ${key.status}`,
    );
    const offer = await this.#channel.adoptKey(key);
    if (offer) this.#relay.send(offer);
    void this.#flush();
  }

  /** Fetches a KMS key a packet arrived under; false if there is none. */
  #fetchKey(channel: SecureChannel, keyId: string): Promise<boolean> {
    return this.#withKms(async () => {
      if (channel.hasKey(keyId)) return true;
      if (this.#unknownKeys.has(keyId)) return false;
      try {
        const answer = await requestSessionKey(this.#config.kmsUrl, {
          deviceId: this.#config.deviceId,
          peerId: channel.peerId,
          keyId,
          token: this.#config.token,
        }, { signal: this.#stop.signal });
        if (answer.ok) {
          await channel.storeKey(answer.key);
          return true;
        }
        if (answer.reason === "unknown_key") {
          this.#unknownKeys.add(keyId);
          this.#say(
            "warn",
            `⚠ The KMS does not know key ${keyId}: a packet from ${channel.peerId} was dropped (a restarted KMS forgets pair keys; otherwise the packet was tampered with).`,
          );
        } else if (answer.status === "RED") {
          this.#onLinkStatus("RED", answer.qber ?? 0);
        }
      } catch (error) {
        if (!this.#stop.signal.aborted) {
          this.#say(
            "warn",
            `⚠ Cannot fetch key ${keyId}: ${(error as Error).message}`,
          );
        }
      }
      return false;
    });
  }

  // One KMS request at a time: a fetch by key id and a fresh request must
  // not cross, or the fresh one could see the fetched key as held and
  // create yet another key.
  #withKms<T>(request: () => Promise<T>): Promise<T> {
    const result = this.#kmsQueue.then(request);
    this.#kmsQueue = result.catch(() => {});
    return result;
  }

  #onLinkStatus(status: LinkStatus, qber: number): void {
    this.#link = { status, qber };
    const red = status === "RED";
    if (red === this.#linkRed) return;
    this.#linkRed = red;
    if (red) {
      this.#say(
        "alert",
        `⚠ QUANTUM LINK RED (QBER=${
          formatQber(qber)
        }) — possible eavesdropper! Chat suspended: typed lines are kept until the link is GREEN again.`,
      );
      this.#channel.suspend();
    } else {
      this.#say(
        "ok",
        `✓ Quantum link ${status} again (QBER=${
          formatQber(qber)
        }) — re-keying.`,
      );
      void this.#rekey();
    }
  }

  // ---- relay ----

  #onUp(info: { online: string[]; reconnected: boolean }): void {
    this.#lastRelayError = undefined;
    this.#connected = true;
    this.#relayWarned = false;
    this.#online = info.online;
    if (info.reconnected) {
      this.#say("ok", "✓ Reconnected to the relay — re-keying.");
      void this.#rekey();
    } else {
      this.#say(
        "ok",
        `✓ Connected to the relay as ${this.#config.deviceId} (${this.#peer} is ${
          this.#peerOnline ? "online" : "offline"
        }).`,
      );
      // The offer made with the first key could not go out before now.
      this.#channel.offer().then((offer) => {
        if (offer) this.#relay.send(offer);
      }).catch((error) => this.#fail(error));
    }
    void this.#flush();
  }

  #onDown(info: { wasUp: boolean; reason: string }): void {
    this.#connected = false;
    for (const settle of this.#ackWaiters.values()) settle("lost");
    this.#ackWaiters.clear();
    if (info.wasUp) {
      this.#say(
        "alert",
        "❌ Connection lost — quantum channel may be compromised. Awaiting re-key.",
      );
      this.#channel.suspend();
    } else if (!this.#relayWarned) {
      this.#relayWarned = true;
      this.#say(
        "warn",
        `⚠ Cannot reach the relay at ${this.#config.relayUrl} (${info.reason}); retrying.`,
      );
    }
  }

  #onFrame(frame: Record<string, unknown>): void {
    switch (frame.type) {
      case "chat":
        this.#incoming = this.#incoming
          .then(() => this.#receive(frame))
          .catch((error) => this.#say("warn", `⚠ ${error}`));
        return;
      case "ack":
        return this.#onAck(frame);
      case "presence":
        return this.#onPresence(frame.online);
      case "error": {
        // A refused registration comes back on every retry: said once.
        const text =
          `⚠ The relay refused a frame: ${frame.code} — ${frame.message}`;
        if (text !== this.#lastRelayError) this.#say("warn", text);
        this.#lastRelayError = text;
      }
    }
  }

  #onAck(frame: Record<string, unknown>): void {
    const id = String(frame.id);
    const status = frame.status as AckStatus;
    const reason = typeof frame.reason === "string" ? ` (${frame.reason})` : "";
    const final = status !== "queued";
    if (final) {
      this.#ackWaiters.get(id)?.(status);
      this.#ackWaiters.delete(id);
    }
    const label = this.#acks.get(id);
    if (!label) return;
    if (final) this.#acks.delete(id);
    if (status === "dropped") {
      this.#say(
        "warn",
        `✗ dropped${reason}: ${label.text} — will be sent again`,
      );
    } else if (!label.quiet && this.#shownAcks.get(label.mid) !== status) {
      // A re-send (after a re-key, or waiting for a receipt) is acked
      // again; the soldier hears of each new state of a line only once.
      this.#shownAcks.set(label.mid, status);
      if (status === "delivered") {
        this.#say("ok", `✓ delivered: ${label.text}`);
      } else this.#say("info", `… queued${reason}: ${label.text}`);
    }
  }

  #onPresence(online: unknown): void {
    if (!Array.isArray(online)) return;
    const before = this.#peerOnline;
    this.#online = online.filter((id) => typeof id === "string");
    if (before !== this.#peerOnline) {
      this.#say(
        "info",
        `• ${this.#peer} is ${this.#peerOnline ? "online" : "offline"}.`,
      );
    }
  }

  get #peerOnline(): boolean {
    return this.#online.includes(this.#peer);
  }

  // ---- receiving ----

  async #receive(frame: unknown): Promise<void> {
    let packet: ChatPacket;
    try {
      packet = parseChatPacket(frame);
    } catch {
      this.#say("alert", "[!] Malformed packet dropped.");
      return;
    }
    if (packet.recipient !== this.#config.deviceId) return;
    if (packet.sender !== this.#peer) {
      if (!this.#strangers.has(packet.sender)) {
        this.#strangers.add(packet.sender);
        this.#say(
          "warn",
          `⚠ Ignored a packet from ${packet.sender}; you are talking to ${this.#peer} (/peer ${packet.sender} to switch).`,
        );
      }
      return;
    }
    // While the link is RED nothing is read: the sender keeps its lines and
    // sends them again after the re-key.
    if (this.#linkRed) return;
    const channel = this.#channel;
    let received = await channel.receive(packet);
    if (received.kind === "need_key") {
      if (!await this.#fetchKey(channel, received.keyId)) return;
      received = await channel.receive(packet);
    }
    await this.#act(channel, { packet, received });
  }

  async #act(
    channel: SecureChannel,
    step: { packet: ChatPacket; received: Received },
  ): Promise<void> {
    const { packet, received } = step;
    switch (received.kind) {
      case "refused":
        if (received.reason === "replay") {
          this.#say("warn", "[!] Replayed packet dropped.");
        } else if (received.reason === "malformed") {
          this.#say("alert", "[!] Malformed packet dropped.");
        } else {
          this.#say("alert", "[!] Verification failed — possible tampering!");
        }
        return;
      case "handshake":
        if (received.reply) this.#relay.send(received.reply);
        if (received.established) {
          this.#say(
            "ok",
            `🔐 End-to-end key ready with ${channel.peerId} (ML-KEM-768 + QKD key ${
              received.established.split("+")[0]
            }): chat is open.`,
          );
        }
        for (const held of received.released) {
          await this.#act(channel, {
            packet: held,
            received: await channel.receive(held),
          });
        }
        void this.#flush();
        return;
      case "content":
        return await this.#take(packet.sender, received.payload);
    }
  }

  async #take(
    sender: string,
    payload: Extract<Received, { kind: "content" }>["payload"],
  ): Promise<void> {
    const { event, receipt } = await this.#inbox.receive(sender, payload);
    switch (event.kind) {
      case "message":
        this.#terminal.message(sender, event.text);
        break;
      case "file_saved":
        this.#say(
          "ok",
          `📎 Received ${event.name} (${
            formatBytes(event.bytes)
          }) from ${sender} → ${event.path}`,
        );
        break;
      case "file_failed":
        this.#say(
          "warn",
          `✗ Attachment ${event.name} from ${sender} not saved: ${event.reason}`,
        );
        break;
      case "receipt": {
        const entry = this.#outbox.confirm(event.mid);
        if (entry && event.refused !== undefined) {
          this.#say(
            "warn",
            `✗ ${sender} did not take ${labelOf(entry)}: ${event.refused}`,
          );
        }
        this.#checkEndOfInput();
      }
    }
    if (receipt !== undefined) {
      this.#pendingReceipts.set(receipt.mid, receipt);
      void this.#flush();
    }
  }

  // ---- sending ----

  get #canSend(): boolean {
    return this.#connected && !this.#linkRed &&
      this.#channel.sendKeyId !== undefined;
  }

  #noteHeld(label: string): void {
    // The link first: while it is RED the relay is not even tried.
    const reason = this.#linkRed
      ? "link RED"
      : !this.#connected
      ? "relay disconnected"
      : this.#channel.sendKeyId === undefined
      ? "waiting for the end-to-end key"
      : undefined;
    if (reason) this.#say("info", `… kept (${reason}): ${label}`);
  }

  /** Sends receipts, then every outbox entry that is due. */
  async #flush(): Promise<void> {
    if (this.#flushing) {
      this.#flushAgain = true;
      return;
    }
    this.#flushing = true;
    try {
      do {
        this.#flushAgain = false;
        await this.#flushOnce();
      } while (this.#flushAgain);
    } catch (error) {
      this.#fail(error);
    } finally {
      this.#flushing = false;
    }
  }

  async #flushOnce(): Promise<void> {
    const channel = this.#channel;
    for (const [mid, receipt] of this.#pendingReceipts) {
      if (!this.#canSend) return;
      const packet = await channel.seal(receipt);
      if (!packet || !this.#relay.send(packet)) return;
      this.#pendingReceipts.delete(mid);
    }
    const keyId = channel.sendKeyId;
    if (!this.#canSend || keyId === undefined) return;
    const due = this.#outbox.due(this.#peer, {
      keyId,
      now: Date.now(),
      // Re-sending to an offline peer would only fill the relay's queue.
      resendAfterMs: this.#peerOnline ? RESEND_MS : Infinity,
    });
    for (const entry of due) {
      if (!this.#canSend || channel !== this.#channel) return;
      if (entry.sentUnder === keyId && !this.#slowReceipts.has(entry.mid)) {
        // Sent under this very key and no receipt: the peer may be talking
        // to someone else, or its receipts are lost. Said once a line.
        this.#slowReceipts.add(entry.mid);
        this.#say(
          "info",
          `… no receipt from ${entry.peer} yet for ${
            labelOf(entry)
          }: sending again every ${RESEND_MS / 1000} s while it is online.`,
        );
      }
      if (entry.item.kind === "msg") {
        const packet = await channel.seal({
          t: "msg",
          mid: entry.mid,
          text: entry.item.text,
        });
        if (!packet || !this.#relay.send(packet)) return;
        this.#acks.set(packet.id, {
          mid: entry.mid,
          text: labelOf(entry),
          quiet: false,
        });
        entry.sentUnder = packet.key_id;
        entry.sentAt = Date.now();
      } else {
        this.#sendFile(channel, entry).catch((error) => this.#fail(error));
      }
    }
  }

  // An attachment's chunks go out a few at a time, each window waiting for
  // the relay's final ack, so a large file does not overflow the relay's
  // queue for the peer.
  async #sendFile(channel: SecureChannel, entry: OutboxEntry): Promise<void> {
    if (entry.item.kind !== "file") return;
    const { name, data } = entry.item;
    entry.sending = true;
    try {
      const chunks = splitChunks(data);
      const window: Promise<AckStatus>[] = [];
      let keyId: string | undefined;
      for (const [index, chunk] of chunks.entries()) {
        if (!this.#canSend || channel !== this.#channel) return;
        // Confirmed or refused meanwhile: the rest would be wasted.
        if (!this.#outbox.has(entry.mid)) return;
        const packet = await channel.seal({
          t: "file",
          mid: entry.mid,
          name,
          chunk: index,
          chunks: chunks.length,
          data: chunk.toBase64(),
        });
        if (!packet) return;
        const acked = new Promise<AckStatus>((resolve) => {
          this.#ackWaiters.set(packet.id, resolve);
        });
        if (!this.#relay.send(packet)) {
          this.#ackWaiters.delete(packet.id);
          return;
        }
        keyId = packet.key_id;
        this.#acks.set(packet.id, {
          mid: entry.mid,
          text: labelOf(entry),
          quiet: index < chunks.length - 1,
        });
        window.push(acked);
        if (window.length >= FILE_WINDOW && await window.shift() === "lost") {
          return;
        }
      }
      entry.sentUnder = keyId;
      entry.sentAt = Date.now();
    } finally {
      entry.sending = false;
    }
  }

  // ---- housekeeping ----

  #tick(): void {
    const expired = this.#channel.expireHeld();
    if (expired > 0) {
      this.#say(
        "warn",
        `⚠ ${expired} packet(s) from ${this.#peer} arrived under an end-to-end key this client does not have and were dropped; the peer sends them again.`,
      );
    }
    const offeredAt = this.#channel.status.offerSentAt;
    if (
      offeredAt !== undefined && Date.now() - offeredAt >= REOFFER_MS &&
      this.#connected && !this.#linkRed && this.#peerOnline
    ) {
      this.#channel.offer().then((offer) => {
        if (offer) this.#relay.send(offer);
      }).catch((error) => this.#fail(error));
    }
    if (this.#canSend) void this.#flush();
    this.#checkEndOfInput();
  }

  #newChannel(): SecureChannel {
    return new SecureChannel({
      deviceId: this.#config.deviceId,
      peerId: this.#peer,
    });
  }

  #say(tone: Parameters<Terminal["status"]>[0], text: string): void {
    this.#terminal.status(tone, text);
  }

  #fail(error: unknown): void {
    this.#say("alert", `✗ Internal error: ${(error as Error)?.stack ?? error}`);
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

function labelOf(entry: OutboxEntry): string {
  return entry.item.kind === "msg"
    ? preview(entry.item.text)
    : `📎 ${entry.item.name}`;
}

function preview(text: string): string {
  return JSON.stringify(
    text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text,
  );
}
