/**
 * Room traffic both ways, for the joined rooms of rooms.ts: the content of
 * members' lines (opened by the engine) into the inbox, each answered with
 * a receipt directed to its author; room lines out of the outbox, one frame
 * the relay fans out to every member, or one per member that has not
 * confirmed.
 *
 * @module
 */

import { splitChunks } from "./attachments.ts";
import type { OutboxEntry } from "./outbox.ts";
import { decodePayload, encodePayload } from "./payload.ts";
import type { RoomDelivery } from "./room_delivery.ts";
import type { RoomChatFrame } from "../protocol/mod.ts";
import type { EngineEvent, RoomProtocol } from "./room_protocol.ts";
import type { JoinedRoom, RoomsOptions } from "./rooms.ts";

const QUIET_REFUSALS: ReadonlySet<string> = new Set(["stale_epoch", "used"]);

/** What room traffic works with. */
export interface RoomTrafficContext
  extends Pick<RoomsOptions, "send" | "canSend" | "inbox" | "show" | "say"> {
  /** The sender-key engine. */
  engine: RoomProtocol;
  /** Room lines member by member. */
  delivery: RoomDelivery;
  /** The other members of a room. */
  others: (room: JoinedRoom) => string[];
  /** A joined room by name. */
  room: (name: string) => JoinedRoom | undefined;
  /** Forgets a room this device is no longer in. */
  forget: (name: string) => void;
  /** Sends what is due in every room. */
  flush: () => Promise<void>;
  /** Time between room key requests, as said to the soldier. */
  retryMs: number;
}

/** Room lines in and out. */
export class RoomTraffic {
  readonly #context: RoomTrafficContext;

  /** Creates the traffic of the rooms of one client. */
  constructor(context: RoomTrafficContext) {
    this.#context = context;
  }

  /** What the engine reported: lines, room keys, refusals. */
  async handle(events: EngineEvent[]): Promise<void> {
    const { say } = this.#context;
    for (const event of events) {
      const room = event.room === undefined
        ? undefined
        : this.#context.room(event.room);
      switch (event.type) {
        case "message":
          if (room) await this.content(room, event);
          break;
        case "room_key":
          say({
            kind: "room_key_ready",
            room: event.room,
            epoch: event.epoch,
            qber: room?.qber ?? 0,
          });
          void this.#context.flush();
          break;
        case "key_unavailable":
          if (!room || event.reason === "conflict") break;
          if (event.reason === "forbidden" || event.reason === "not_found") {
            this.#context.forget(event.room);
            say({
              kind: "room_gone",
              room: event.room,
              message: event.message,
            });
          } else if (room.warnedEpoch !== event.epoch) {
            room.warnedEpoch = event.epoch;
            say({
              kind: "room_no_key",
              room: event.room,
              message: event.message,
              retryMs: this.#context.retryMs,
            });
          }
          break;
        case "refused":
          // A line of an epoch already closed, or one read before (a copy
          // the relay handed over again): no news, nothing to alarm about.
          if (QUIET_REFUSALS.has(event.reason)) break;
          say({
            kind: "room_frame_refused",
            room: event.room ?? "?",
            sender: event.sender ?? "?",
            reason: event.message,
          });
      }
    }
  }

  /** A member's line, opened by the engine. */
  async content(
    room: JoinedRoom,
    message: Extract<EngineEvent, { type: "message" }>,
  ): Promise<void> {
    const { sender, bytes } = message;
    const name = room.state.room;
    const { say } = this.#context;
    let payload;
    try {
      payload = decodePayload(bytes);
    } catch (error) {
      return say({
        kind: "room_frame_refused",
        room: name,
        sender,
        reason: (error as Error).message,
      });
    }
    if (payload.t === "receipt") {
      return this.#context.delivery.onReceipt(
        name,
        sender,
        payload.mid,
        this.#context.others(room),
      );
    }
    if (payload.t !== "msg" && payload.t !== "file") return;
    const { event, receipt } = await this.#context.inbox.receive(
      sender,
      payload,
    );
    if (event.kind === "message") {
      this.#context.show(name, sender, {
        mid: event.mid,
        text: event.text,
        // The frame's timestamp is signed with it (seconds).
        writtenAt: message.timestamp * 1000,
        ...(event.n === undefined ? {} : { n: event.n }),
      });
    } else if (event.kind === "file_saved" || event.kind === "file_failed") {
      say({ ...event, sender, room: name });
    }
    if (receipt && this.#context.canSend()) {
      const sealed = await this.#context.engine.seal(
        name,
        encodePayload(receipt),
        { to: sender },
      );
      if (sealed.ok) this.#context.send(sealed.frame);
    }
  }

  /** Sends every room line that is due, in every room that can. */
  async flush(rooms: Iterable<JoinedRoom>): Promise<void> {
    const { canSend, send, engine, delivery } = this.#context;
    for (const room of rooms) {
      const name = room.state.room;
      const status = engine.status(name);
      if (!status?.keyReady || !canSend()) continue;
      const others = this.#context.others(room);
      const due = delivery.due(name, {
        epoch: status.epoch,
        members: others,
        online: room.online,
        now: Date.now(),
      });
      for (const { entry, to } of due) {
        // Everyone: one frame the relay fans out; else one per member.
        const targets = to.length === others.length ? [undefined] : to;
        for (const member of targets) {
          const frames = await this.#seal(name, entry, member);
          if (!frames || !frames.every((frame) => send(frame))) return;
          delivery.sent(frames.at(-1)!.id, {
            entry,
            room: name,
            to: member === undefined ? to : [member],
            epoch: status.epoch,
            now: Date.now(),
          });
        }
      }
    }
  }

  // An entry's frames (an attachment's chunks), or undefined if the engine
  // cannot seal now.
  async #seal(
    room: string,
    entry: OutboxEntry,
    to: string | undefined,
  ): Promise<RoomChatFrame[] | undefined> {
    const { item, mid } = entry;
    const payloads = item.kind === "msg"
      ? [{
        t: "msg" as const,
        mid,
        text: item.text,
        ...(entry.n === undefined ? {} : { n: entry.n }),
      }]
      : splitChunks(item.data).map((chunk, index, chunks) => ({
        t: "file" as const,
        mid,
        name: item.name,
        chunk: index,
        chunks: chunks.length,
        data: chunk.toBase64(),
        ...(item.voice === undefined ? {} : { voice: item.voice }),
      }));
    const frames = [];
    for (const payload of payloads) {
      const sealed = await this.#context.engine.seal(
        room,
        encodePayload(payload),
        to === undefined ? {} : { to },
      );
      if (!sealed.ok) return undefined;
      frames.push(sealed.frame);
    }
    return frames;
  }
}
