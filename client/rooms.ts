/**
 * The client's squad rooms: membership at the KMS (join, leave, the epoch
 * each room is at), the relay told of it (`room_join`, `room_leave`, its
 * `room_presence`), and the sender-key engine (room_protocol.ts) given each
 * epoch's membership and, when it asks, the epoch's room key from the KMS.
 * Room traffic both ways is room_traffic.ts'.
 *
 * The KMS's epoch is the truth: a higher epoch learnt from the relay or
 * from a refused key request makes the client re-read its rooms and move
 * the engine on. While the link is RED or the relay is down, room lines
 * wait in the outbox; after the re-key they go out once.
 *
 * @module
 */

import type { RoomState } from "../protocol/mod.ts";
import type { Inbox } from "./inbox.ts";
import type { RoomKmsApi } from "./kms_rooms.ts";
import type { ChatLine } from "./line_order.ts";
import type { ClientEvent } from "./messages.ts";
import type { Outbox, OutboxEntry, OutboxItem } from "./outbox.ts";
import { roomAddress, RoomDelivery } from "./room_delivery.ts";
import type { RoomEngineOptions } from "./room_engine.ts";
import type { RoomProtocol } from "./room_protocol.ts";
import { RoomTraffic } from "./room_traffic.ts";

/** Time between room key requests while the KMS gives none. */
export const ROOM_RETRY_MS = 2000;

/** A joined room as this client knows it. */
export interface JoinedRoom {
  /** The KMS's latest word on it. */
  state: RoomState;
  /** Members online, as the relay last said. */
  online: Set<string>;
  /** When its room key was last asked for. */
  keyAskedAt?: number;
  /** The epoch whose missing key was said (said once an epoch). */
  warnedEpoch?: number;
  /** The QBER the KMS gave with the last room key. */
  qber?: number;
}

/** What the engine is made with. */
export type ProtocolHooks = Pick<RoomEngineOptions, "fetchRoomKey" | "send">;

/** Options for {@linkcode Rooms}. */
export interface RoomsOptions {
  /** This device. */
  deviceId: string;
  /** The KMS's room routes. */
  kms: RoomKmsApi;
  /** The client's outbox (room lines under `#ROOM`). */
  outbox: Outbox;
  /** The client's inbox (exactly once per sender and message id). */
  inbox: Pick<Inbox, "receive">;
  /** Hands a frame to the relay; false if it did not go out. */
  send: (frame: { type?: string; id?: string }) => boolean;
  /** Makes the sender-key engine. */
  protocol: (hooks: ProtocolHooks) => RoomProtocol;
  /** Whether frames can go out (relay up, link not RED). */
  canSend: () => boolean;
  /** Whether the KMS may be asked for room keys (link not RED). */
  canKey: () => boolean;
  /** Shows a room line, in its sender's order. */
  show: (room: string, sender: string, line: ChatLine) => void;
  /** Tells the soldier. */
  say: (event: ClientEvent) => void;
  /** Default {@linkcode ROOM_RETRY_MS}. */
  retryMs?: number;
}

/**
 * The rooms of one client.
 *
 * @example
 * ```ts ignore
 * const rooms = new Rooms({ deviceId, kms: httpRoomKms(url, device), ... });
 * await rooms.join({ room: "squad1", expected: 4 });
 * rooms.queue("squad1", { kind: "msg", text: "Move out" });
 * ```
 */
export class Rooms {
  readonly #options: RoomsOptions;
  readonly #rooms = new Map<string, JoinedRoom>();
  readonly #engine: RoomProtocol;
  /** Room lines member by member. */
  readonly delivery: RoomDelivery;
  readonly #traffic: RoomTraffic;
  readonly #starting = new Set<string>();
  #refreshing?: Promise<void>;

  /** Creates the room layer; nothing happens until told. */
  constructor(options: RoomsOptions) {
    this.#options = options;
    this.delivery = new RoomDelivery({
      outbox: options.outbox,
      say: options.say,
    });
    this.#engine = options.protocol({
      fetchRoomKey: (room, epoch) => this.#fetchKey(room, epoch),
      send: (frame) => void options.send(frame),
    });
    this.#traffic = new RoomTraffic({
      ...options,
      engine: this.#engine,
      delivery: this.delivery,
      others: (room) => this.others(room),
      room: (name) => this.#rooms.get(name),
      forget: (name) => this.#forget(name),
      flush: () => this.flush(),
      retryMs: options.retryMs ?? ROOM_RETRY_MS,
    });
  }

  /** The joined room `name`, if it is one. */
  get(name: string): JoinedRoom | undefined {
    return this.#rooms.get(name);
  }

  /** The engine's state of a joined room. */
  status(name: string): ReturnType<RoomProtocol["status"]> {
    return this.#engine.status(name);
  }

  /** The joined rooms, by name. */
  names(): string[] {
    return [...this.#rooms.keys()].sort();
  }

  /** The other members of a joined room. */
  others(room: JoinedRoom): string[] {
    return room.state.members.filter((m) => m !== this.#options.deviceId);
  }
  /** Joins (or creates) a room at the KMS; true when in it. */
  async join(choice: { room: string; expected?: number }): Promise<boolean> {
    const { kms, say, deviceId } = this.#options;
    let answer;
    try {
      answer = await kms.join(choice.room, choice.expected);
    } catch (error) {
      say({
        kind: "room_kms_failed",
        room: choice.room,
        message: (error as Error).message,
      });
      return false;
    }
    if (!answer.ok) {
      say({ kind: "room_refused", room: choice.room, message: answer.message });
      return false;
    }
    const state = answer.room;
    say({
      kind: "room_joined",
      room: state.room,
      epoch: state.epoch,
      leader: state.leader,
      expected: state.expected,
      members: state.members,
      created: state.leader === deviceId && state.members.length === 1,
    });
    this.adopt(state);
    return true;
  }

  /** Leaves a room at the KMS and tells the relay; true when out of it. */
  async leave(name: string): Promise<boolean> {
    const { kms, say, send } = this.#options;
    let answer;
    try {
      answer = await kms.leave(name);
    } catch (error) {
      say({ kind: "room_kms_failed", room: name, message: String(error) });
      return false;
    }
    if (!answer.ok) {
      say({ kind: "room_bad_input", message: answer.message });
      return false;
    }
    send({
      type: "room_leave",
      room: name,
      membership: answer.room.membership,
    } as { type: string });
    this.#forget(name);
    const dropped = this.delivery.drop(name);
    say({
      kind: "room_left",
      room: name,
      terminated: answer.terminated,
      dropped,
    });
    return true;
  }

  /** Takes the KMS's state of a room this device is in. */
  adopt(state: RoomState): void {
    const known = this.#rooms.get(state.room);
    if (known && known.state.epoch >= state.epoch) return;
    if (known) {
      const before = new Set(known.state.members);
      const after = new Set(state.members);
      this.#options.say({
        kind: "room_epoch",
        room: state.room,
        epoch: state.epoch,
        joined: state.members.filter((m) => !before.has(m)),
        left: known.state.members.filter((m) => !after.has(m)),
      });
      known.state = state;
      this.delivery.membersChanged(state.room, this.others(known));
    } else {
      this.#rooms.set(state.room, { state, online: new Set() });
    }
    this.announce(state.room);
    void this.#start(state.room);
  }

  /** Tells the relay about a room (again, after a reconnect). */
  announce(name: string): void {
    const room = this.#rooms.get(name);
    if (!room) return;
    this.#options.send({
      type: "room_join",
      room: name,
      membership: room.state.membership,
    } as { type: string });
  }

  /**
   * Registered with the relay (again): it hears of every room, the rooms
   * are re-read from the KMS and what waited goes out. After a reconnect
   * the epoch starts again with a fresh hello, which every member answers
   * with its sender key and hello: a restarted relay forgot its queues.
   */
  relayUp(options: { reconnected: boolean }): void {
    for (const name of this.names()) {
      if (options.reconnected) this.#engine.forget(name);
      this.announce(name);
    }
    void this.refresh().then(() => this.tick());
  }

  /**
   * Reads this device's rooms from the KMS (at start, after a reconnect,
   * when the link is GREEN again, or when a higher epoch was heard of).
   */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#refresh().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #refresh(): Promise<void> {
    let states: RoomState[];
    try {
      states = await this.#options.kms.list();
    } catch (error) {
      return this.#options.say({
        kind: "room_kms_failed",
        room: this.names().join(", ") || "list",
        message: (error as Error).message,
      });
    }
    const listed = new Set(states.map((state) => state.room));
    for (const name of this.names()) {
      if (listed.has(name)) continue;
      this.#forget(name);
      this.delivery.drop(name);
      this.#options.say({
        kind: "room_gone",
        room: name,
        message: "this device is no longer a member (the KMS says so)",
      });
    }
    for (const state of states) this.adopt(state);
  }

  /**
   * The relay's news of a room: who is online, the epoch it has. The relay
   * is not trusted with membership: a higher epoch only makes the client
   * ask the KMS.
   */
  onPresence(frame: { room: string; epoch: number; online: string[] }): void {
    const room = this.#rooms.get(frame.room);
    if (!room) return;
    const now = new Set(frame.online);
    for (const member of this.others(room)) {
      if (now.has(member) === room.online.has(member)) continue;
      this.#options.say({
        kind: "room_online",
        room: frame.room,
        member,
        online: now.has(member),
      });
    }
    room.online = now;
    if (frame.epoch > room.state.epoch) void this.refresh();
    else void this.flush();
  }

  /**
   * Link RED: the KMS destroyed the room keys; the engine erases its own
   * (sender keys too) and the rooms start again at the next epoch.
   */
  suspend(): void {
    for (const name of this.names()) this.#engine.forget(name);
  }

  /**
   * Every second: a room whose epoch the engine has not started (the relay
   * was down, the link RED) is started, a missing room key asked for again,
   * and what is due sent.
   */
  async tick(): Promise<void> {
    const now = Date.now();
    const retryMs = this.#options.retryMs ?? ROOM_RETRY_MS;
    for (const [name, room] of this.#rooms) {
      const status = this.#engine.status(name);
      if (!status || status.epoch < room.state.epoch) {
        await this.#start(name);
      } else if (
        !status.keyReady && this.#options.canKey() &&
        now - (room.keyAskedAt ?? 0) >= retryMs
      ) {
        room.keyAskedAt = now;
        await this.#traffic.handle(await this.#engine.retryKey(name));
      }
    }
    await this.flush();
  }

  /** Queues an item for a room and sends it when it can. */
  queue(name: string, item: OutboxItem): OutboxEntry {
    const entry = this.#options.outbox.add(roomAddress(name), item);
    void this.flush();
    return entry;
  }

  /** Takes a `room_chat` frame from the relay (checked by the engine). */
  async take(frame: unknown): Promise<void> {
    try {
      await this.#traffic.handle(await this.#engine.receive(frame));
    } catch (error) {
      // As for a direct packet: a frame that cannot be taken (a state file
      // that cannot be written, say) is told, and the client goes on.
      this.#options.say({ kind: "receive_failed", error });
    }
  }

  /** Sends every room line that is due, in every room that can. */
  flush(): Promise<void> {
    return this.#traffic.flush(this.#rooms.values());
  }

  // Hands the room's current membership to the engine, which fetches the
  // epoch's room key and says hello: only with the relay up (a hello that
  // cannot go out is lost) and the link not RED.
  async #start(name: string): Promise<void> {
    const room = this.#rooms.get(name);
    const { canSend, canKey } = this.#options;
    if (!room || !canSend() || !canKey() || this.#starting.has(name)) return;
    this.#starting.add(name);
    try {
      room.keyAskedAt = Date.now();
      await this.#traffic.handle(
        await this.#engine.setMembership(room.state.membership),
      );
    } finally {
      this.#starting.delete(name);
    }
  }

  async #fetchKey(
    name: string,
    epoch: number,
  ): ReturnType<ProtocolHooks["fetchRoomKey"]> {
    const answer = await this.#options.kms.roomKey(name, epoch);
    if (answer.ok) {
      const room = this.#rooms.get(name);
      if (room) room.qber = answer.key.qber;
      return { ok: true, key: answer.key.key, keyId: answer.key.keyId };
    }
    // The KMS moved on (a join, a leave, a reset): re-read, start again.
    if (answer.reason === "conflict") void this.refresh();
    const reason = answer.reason === "refused" && answer.status === "RED"
      ? "link_red"
      : answer.reason;
    return { ok: false, reason, message: answer.message };
  }

  #forget(name: string): void {
    this.#rooms.delete(name);
    this.#engine.forget(name);
  }
}
