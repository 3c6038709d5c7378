/**
 * The devices online now, and the presence frames that tell who is.
 *
 * A connection that said which devices it watches (`watch`, at most 32) is
 * sent a list of itself and those of them online, and only when one of them
 * comes or goes: the cost of a change is the number of its watchers. A
 * connection that never said (seed-era clients) gets the whole list on every
 * change, as before: sorted once per change, sent once per change, and a
 * device that was not reading gets only the newest list. With every client
 * watching, presence is no longer O(N²) frames of every device id.
 *
 * @module
 */

import type { Connection } from "./connection.ts";
import { presenceFrame } from "./frames.ts";

/**
 * Registered devices by id, who watches whom, and the presence still to send.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { Connection } from "./connection.ts";
 * import { OnlineDevices } from "./presence.ts";
 *
 * const sent: string[] = [];
 * const peer = {
 *   readyState: 1,
 *   bufferedAmount: 0,
 *   send: (text: string) => sent.push(text),
 *   close() {},
 * };
 * const conn = new Connection(peer, {
 *   number: 1,
 *   label: "a",
 *   rateLimit: 10,
 *   now: 0,
 *   nonce: "n",
 * });
 * const devices = new OnlineDevices();
 * devices.add("Soldier_Alpha", conn);
 * assertEquals(devices.online(), ["Soldier_Alpha"]);
 * devices.sendPresence(1024);
 * assertEquals(sent, ['{"type":"presence","online":["Soldier_Alpha"]}']);
 * ```
 */
export class OnlineDevices {
  #devices = new Map<string, Connection>();
  // Devices other relay nodes of a cluster hold.
  #remote = new Set<string>();
  #online?: string[];
  // Registered connections that watch nobody in particular: they get the
  // whole list.
  #everyone = new Set<Connection>();
  #everyonePending = false;
  #watchers = new Map<string, Set<Connection>>();
  #watchersPending = new Set<Connection>();
  #onChange: (deviceId: string) => void;

  /** `onChange` hears of every device that comes or goes. */
  constructor(options: { onChange?: (deviceId: string) => void } = {}) {
    this.#onChange = options.onChange ?? (() => {});
  }

  /** Registered devices. */
  get size(): number {
    return this.#devices.size;
  }

  /** Devices other relay nodes hold. */
  get remoteSize(): number {
    return this.#remote.size;
  }

  /** Whether some presence frame is still to be sent. */
  get presencePending(): boolean {
    return this.#everyonePending || this.#watchersPending.size > 0;
  }

  /** The connection registered as `deviceId`. */
  get(deviceId: string): Connection | undefined {
    return this.#devices.get(deviceId);
  }

  /** Whether `deviceId` is online here or on another relay node. */
  isOnline(deviceId: string): boolean {
    return this.#devices.has(deviceId) || this.#remote.has(deviceId);
  }

  /**
   * Records that another relay node holds `deviceId` now, or no longer;
   * its watchers hear of it as of a local device.
   */
  setRemote(deviceId: string, online: boolean): void {
    if (this.#remote.has(deviceId) === online) return;
    if (online) this.#remote.add(deviceId);
    else this.#remote.delete(deviceId);
    if (!this.#devices.has(deviceId)) this.#changed(deviceId);
  }

  /** Every registered connection. */
  values(): MapIterator<Connection> {
    return this.#devices.values();
  }

  /** Registers `conn` as `deviceId`, in place of any other connection. */
  add(deviceId: string, conn: Connection): void {
    conn.deviceId = deviceId;
    this.#devices.set(deviceId, conn);
    if (conn.watch === undefined) this.#everyone.add(conn);
    this.#changed(deviceId);
  }

  /**
   * Removes `conn` if its device id is still its own: after a takeover the
   * id belongs to the new connection, whenever the old one closes. What it
   * watched is forgotten either way.
   */
  remove(conn: Connection): void {
    this.#unwatch(conn);
    this.#everyone.delete(conn);
    if (
      conn.deviceId !== undefined && this.#devices.get(conn.deviceId) === conn
    ) {
      this.#devices.delete(conn.deviceId);
      this.#changed(conn.deviceId);
    }
  }

  /**
   * Narrows `conn`'s presence to itself and `devices` (replacing what it
   * watched before); once registered, it is sent its new list.
   */
  watch(conn: Connection, devices: readonly string[]): void {
    this.#unwatch(conn);
    this.#everyone.delete(conn);
    conn.watch = new Set(devices);
    for (const device of conn.watch) {
      let watchers = this.#watchers.get(device);
      if (!watchers) this.#watchers.set(device, watchers = new Set());
      watchers.add(conn);
    }
    if (conn.deviceId !== undefined) this.#watchersPending.add(conn);
  }

  /** The online device ids, sorted. */
  online(): string[] {
    this.#online ??= this.#remote.size === 0
      ? [...this.#devices.keys()].sort()
      : [...new Set([...this.#devices.keys(), ...this.#remote])].sort();
    return this.#online;
  }

  /**
   * What `conn` is to be told is online: every device, or, once it watches,
   * itself and the watched devices online, sorted.
   */
  onlineFor(conn: Connection): string[] {
    if (conn.watch === undefined) return this.online();
    const self = conn.deviceId;
    const online = self === undefined ? [] : [self];
    for (const device of conn.watch) {
      if (device !== self && this.isOnline(device)) online.push(device);
    }
    return online.sort();
  }

  /**
   * Sends each connection its list if it changed since it was last sent
   * and its send buffer is below `maxBufferedBytes`; the others stay pending.
   */
  sendPresence(maxBufferedBytes: number): void {
    if (this.#everyonePending) {
      this.#everyonePending = false;
      const frame = presenceFrame(this.online());
      for (const conn of this.#everyone) {
        if (!this.#offer(conn, frame, maxBufferedBytes)) {
          // Only the newest list matters; a later tick sends it.
          this.#everyonePending = true;
        }
      }
    }
    for (const conn of this.#watchersPending) {
      const frame = presenceFrame(this.onlineFor(conn));
      if (this.#offer(conn, frame, maxBufferedBytes)) {
        this.#watchersPending.delete(conn);
      }
    }
  }

  // Whether `conn` holds `frame` now: sent, or sent before.
  #offer(conn: Connection, frame: string, maxBufferedBytes: number): boolean {
    if (conn.presence === frame) return true;
    if (!conn.canSend(maxBufferedBytes)) return false;
    conn.peer.send(frame);
    conn.presence = frame;
    return true;
  }

  #unwatch(conn: Connection): void {
    this.#watchersPending.delete(conn);
    for (const device of conn.watch ?? []) {
      const watchers = this.#watchers.get(device)!;
      watchers.delete(conn);
      if (watchers.size === 0) this.#watchers.delete(device);
    }
  }

  #changed(deviceId: string): void {
    this.#online = undefined;
    this.#everyonePending = true;
    for (const conn of this.#watchers.get(deviceId) ?? []) {
      if (conn.deviceId !== undefined) this.#watchersPending.add(conn);
    }
    this.#onChange(deviceId);
  }
}
