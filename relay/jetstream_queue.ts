/**
 * Store-and-forward in JetStream: frames for a device that is offline or
 * not reading wait in the stream `QSTCS_QUEUE` under the device's own
 * subject, with their sender and id in headers (the frame itself stays the
 * opaque text the relay received), and survive the loss of any relay node.
 *
 * The node holding a device's socket reads its subject with an ordered
 * consumer and sends a frame only after deleting it from the stream: only
 * one node can win that delete, so no two nodes ever send the same frame,
 * as no two could `shift()` the same frame off the single relay's queue.
 *
 * Each frame's room is reserved in the cluster's ledger (queue_ledger.ts)
 * before it is published, and given back by the node that wins its delete.
 *
 * @module
 */

import { headers, type MsgHdrs } from "@nats-io/nats-core";
import type { JsMsg } from "@nats-io/jetstream";
import { delay } from "../common/std.ts";
import { readEnvelope } from "../protocol/mod.ts";
import type { ClusterFrame } from "./cluster.ts";
import type { Connection } from "./connection.ts";
import { utf8ByteLength } from "./frame_size.ts";
import type { HubState } from "./hub_state.ts";
import { increment } from "./metrics.ts";
import type { NatsLink } from "./nats_link.ts";
import type { QueueRefusal } from "./offline_queue.ts";
import { tell } from "./routing.ts";
import { queueSubject, SUBJECTS } from "./subject_token.ts";

const SENDER = "Qstcs-Sender";
const ID = "Qstcs-Id";
// The ledger generation the frame's room was reserved in.
const LEDGER = "Qstcs-Ledger";
// Claims issued at once while draining: each is one JetStream request.
const BATCH = 32;
// Frames one sweep may expire: the rest wait for the next second.
const EXPIRE_PER_SWEEP = 256;

/** What became of a frame put in the stream. */
export type Enqueued =
  | { ok: true; seq: number }
  | { ok: false; reason: QueueRefusal | "unavailable" };

/**
 * Puts a frame in `recipient`'s subject. The ledger refuses it past the
 * recipient's bytes or the sender's share (the reasons of one relay), the
 * stream past the recipient's frame limit (`queue_full`) or the total bytes
 * (`relay_full`); a timeout or lost connection is `unavailable`.
 */
export async function enqueue(
  link: NatsLink,
  recipient: string,
  frame: Partial<ClusterFrame> & { text: string },
): Promise<Enqueued> {
  const h = headers();
  if (frame.sender !== undefined) h.set(SENDER, frame.sender);
  // Message ids may hold any character; headers may not.
  if (frame.id !== undefined) h.set(ID, encodeURIComponent(frame.id));
  if (!link.connected) return { ok: false, reason: "unavailable" };
  const subject = queueSubject(recipient);
  const room = { sender: frame.sender, bytes: utf8ByteLength(frame.text) };
  const reserved = await link.ledger.reserve(subject, room);
  if (!reserved.ok) return reserved;
  h.set(LEDGER, String(reserved.generation));
  try {
    const ack = await link.js.publish(subject, frame.text, { headers: h });
    return { ok: true, seq: ack.seq };
  } catch (error) {
    const reason = streamRefusal(error);
    // A publish that timed out may still have landed: its room stays taken.
    if (reason !== "unavailable") {
      await link.ledger.release(subject, room, reserved.generation);
    }
    return { ok: false, reason };
  }
}

function streamRefusal(error: unknown): QueueRefusal | "unavailable" {
  const text = String((error as Error)?.message ?? error);
  // Both limits carry err_code 10077: only the description tells them apart.
  if (text.includes("maximum messages per subject")) return "queue_full";
  if (text.includes("maximum bytes") || text.includes("message size")) {
    return "relay_full";
  }
  return "unavailable";
}

// Gives back the room of a frame this node won the delete of.
async function released(
  link: NatsLink,
  message: { subject: string; data: Uint8Array },
  h: MsgHdrs | undefined,
): Promise<void> {
  const generation = h?.get(LEDGER);
  if (!generation) return;
  await link.ledger.release(message.subject, {
    sender: h?.get(SENDER) || undefined,
    bytes: message.data.length,
  }, Number(generation));
}

/**
 * Reads the stream's frames and bytes (for `/metrics`) and takes frames
 * older than `--queue-max-age-ms` out, oldest first, telling the senders
 * of those this node won `dropped`/`expired` as a single relay does. Every
 * node sweeps; the delete decides who tells, as it decides who sends. The
 * stream's own age limit is only a backstop a minute later, for a cluster
 * with no node left: it expires frames silently.
 */
export async function sweepQueue(
  hub: HubState,
  link: NatsLink,
): Promise<{ messages: number; bytes: number }> {
  const { jsm } = link;
  const maxAgeMs = hub.limits.queueMaxAgeMs;
  const first = await jsm.streams.info(SUBJECTS.queueStream);
  let { state } = first;
  for (let i = 0; i < EXPIRE_PER_SWEEP; i++) {
    if (
      state.messages === 0 || Date.now() - Date.parse(state.first_ts) < maxAgeMs
    ) break;
    const seq = state.first_seq;
    const stored = await jsm.streams.getMessage(SUBJECTS.queueStream, { seq })
      .catch(() => null);
    const won = stored !== null &&
      await jsm.streams.deleteMessage(SUBJECTS.queueStream, seq, false)
        .catch(() => false);
    if (won) await released(link, stored, stored.header);
    const sender = stored?.header?.get(SENDER);
    if (won && sender) {
      const id = stored.header.get(ID);
      increment(hub.counters.dropped, "expired");
      tell(hub, sender, {
        id: id ? decodeURIComponent(id) : undefined,
        status: "dropped",
        reason: "expired",
      });
      hub.logFrame(`expired: a frame from ${sender}`);
    }
    ({ state } = await jsm.streams.info(SUBJECTS.queueStream));
  }
  return first.state;
}

/**
 * The sender and id a copy arriving from another node needs in the queue:
 * a chat frame's, or a room copy's sender alone (room copies get no ack
 * when they leave a queue); `undefined` for anything else.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { queuedCopy } from "./jetstream_queue.ts";
 *
 * const text = '{"type":"chat","sender":"a","recipient":"b","id":"m-1"}';
 * assertEquals(queuedCopy(text), { text, sender: "a", id: "m-1" });
 * assertEquals(queuedCopy('{"type":"ping","id":"1"}'), undefined);
 * ```
 */
export function queuedCopy(
  text: string,
): { text: string; sender: string; id?: string } | undefined {
  const read = readEnvelope(text);
  if (!read.ok) return undefined;
  const { envelope } = read;
  if (envelope.type === "chat") {
    return { text, sender: envelope.sender, id: envelope.id };
  }
  if (envelope.type === "room_chat") return { text, sender: envelope.sender };
  return undefined;
}

/**
 * The seq of the newest frame waiting for `deviceId`, 0 for none.
 */
export async function newestQueued(
  link: NatsLink,
  deviceId: string,
): Promise<number> {
  try {
    const last = await link.jsm.streams.getMessage(SUBJECTS.queueStream, {
      last_by_subj: queueSubject(deviceId),
    });
    return last?.seq ?? 0;
  } catch {
    // JetStream answers 404 for a subject with no message.
    return 0;
  }
}

/**
 * Reads one local device's subject for as long as it is connected and
 * sends what waits there, in order, as its socket has room; each frame
 * with a sender gets its `delivered` ack, wherever the sender is.
 *
 * `backlog` is true while frames wait in the stream for the device: live
 * frames then go into the stream behind them, so that the device gets
 * every frame from one sender in the order it was sent.
 */
export class QueueDrain {
  /** Whether frames for the device wait in the stream. */
  backlog: boolean;
  /** Frames this node is putting in the device's subject now. */
  inflight = 0;
  #hub: HubState;
  #link: NatsLink;
  #conn: Connection;
  #stopped = false;
  #stop?: () => void;
  // The newest seq known to be queued, and the newest the drain has read.
  #queuedSeq = 0;
  #readSeq = 0;
  // Bytes of frames claimed and not yet sent.
  #aheadBytes = 0;

  /**
   * Starts reading `conn`'s device's subject, where `queuedSeq` is the seq
   * of the newest frame there at registration (0 for none).
   */
  constructor(
    hub: HubState,
    link: NatsLink,
    options: { conn: Connection; queuedSeq: number },
  ) {
    const { conn } = options;
    this.#hub = hub;
    this.#link = link;
    this.#conn = conn;
    this.#queuedSeq = options.queuedSeq;
    this.backlog = options.queuedSeq > 0;
    this.#keepReading();
  }

  // A reader that fails (JetStream not answering at registration, say)
  // starts again while the device stays connected.
  async #keepReading(): Promise<void> {
    while (!this.#stopped && !this.#conn.closed) {
      try {
        await this.#run();
      } catch (error) {
        if (this.#stopped) return;
        this.#hub.log(
          `queue of ${this.#conn.name}: ${String((error as Error)?.message)}`,
        );
      }
      await delay(500);
    }
  }

  /** Frames queued: `seq` is in the stream, behind whatever is already. */
  queued(seq: number): void {
    this.#queuedSeq = Math.max(this.#queuedSeq, seq);
    this.#settle();
  }

  /** A frame this node tried to queue was refused. */
  refused(): void {
    this.#settle();
  }

  /** Stops reading; frames not yet claimed stay in the stream. */
  stop(): void {
    this.#stopped = true;
    this.#stop?.();
  }

  // The backlog is over once the drain has read the newest frame queued
  // and no other is on its way in.
  #settle(): void {
    if (this.inflight === 0 && this.#readSeq >= this.#queuedSeq) {
      this.backlog = false;
    }
  }

  async #run(): Promise<void> {
    const { js } = this.#link;
    const consumer = await js.consumers.get(SUBJECTS.queueStream, {
      // A string: nats-server 2.9 refuses the array form.
      filter_subjects: queueSubject(this.#conn.deviceId!),
    });
    if (this.#stopped) return;
    const messages = await consumer.consume({ max_messages: 64 });
    this.#stop = () => messages.stop();
    if (this.#stopped) messages.stop();
    // Claims go out as frames arrive; sends follow in seq order, each once
    // its claim is won. At most BATCH frames (and the socket's bound in
    // bytes) are claimed ahead of what was sent.
    let sent = Promise.resolve();
    let unsent = 0;
    try {
      for await (const message of messages) {
        if (this.#stopped || !await this.#room()) break;
        const claim = this.#claim(message);
        const bytes = message.data.length;
        unsent++;
        this.#aheadBytes += bytes;
        sent = sent.then(async () => {
          if (await claim) this.#deliver(message);
          this.#readSeq = message.seq;
          unsent--;
          this.#aheadBytes -= bytes;
        });
        const last = message.info.pending === 0;
        if (last || unsent >= BATCH) await sent;
        if (last) this.#settle();
      }
      await sent;
    } finally {
      messages.stop();
    }
  }

  // Won once deleted, and its room given back before it is sent: the
  // sender told `delivered` finds the room free.
  async #claim(message: JsMsg): Promise<boolean> {
    const won = await this.#link.jsm.streams.deleteMessage(
      SUBJECTS.queueStream,
      message.seq,
      false,
    ).catch(() => false);
    if (won) await released(this.#link, message, message.headers);
    return won;
  }

  // Waits until the socket can take more than the frames claimed ahead of
  // it; false once it closed.
  async #room(): Promise<boolean> {
    const hub = this.#hub;
    const conn = this.#conn;
    while (
      !this.#stopped && !conn.closed &&
      !conn.canSend(hub.limits.maxBufferedBytes - this.#aheadBytes)
    ) {
      // The hub's tick closes a socket that stays full (queue_drain.ts).
      if (!hub.canSend(conn)) hub.congested.add(conn);
      await delay(25);
    }
    return !this.#stopped && !conn.closed;
  }

  // Sends a frame won from the stream; its sender hears it was delivered.
  #deliver(message: JsMsg): void {
    const hub = this.#hub;
    this.#conn.peer.send(message.string());
    const sender = message.headers?.get(SENDER);
    if (!sender) return;
    const id = message.headers?.get(ID);
    hub.counters.framesRelayed++;
    tell(hub, sender, {
      id: id ? decodeURIComponent(id) : undefined,
      status: "delivered",
    });
    hub.logFrame(
      `route ${sender} -> ${this.#conn.deviceId}: delivered from queue`,
    );
  }
}
