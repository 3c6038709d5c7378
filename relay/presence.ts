/**
 * The devices online now, and the presence frames that tell each of them who
 * is: the list is sorted once per change, sent once per change, and a device
 * that was not reading gets only the newest list.
 *
 * @module
 */

import type { Connection } from "./connection.ts";
import { presenceFrame } from "./frames.ts";

/**
 * Registered devices by id, with the presence still to send.
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
  #online?: string[];
  #pending = false;

  /** Registered devices. */
  get size(): number {
    return this.#devices.size;
  }

  /** Whether the list changed since presence last went to every device. */
  get presencePending(): boolean {
    return this.#pending;
  }

  /** The connection registered as `deviceId`. */
  get(deviceId: string): Connection | undefined {
    return this.#devices.get(deviceId);
  }

  /** Every registered connection. */
  values(): MapIterator<Connection> {
    return this.#devices.values();
  }

  /** Registers `conn` as `deviceId`, in place of any other connection. */
  add(deviceId: string, conn: Connection): void {
    conn.deviceId = deviceId;
    this.#devices.set(deviceId, conn);
    this.#changed();
  }

  /**
   * Removes `conn` if its device id is still its own: after a takeover the
   * id belongs to the new connection, whenever the old one closes.
   */
  remove(conn: Connection): void {
    if (
      conn.deviceId !== undefined && this.#devices.get(conn.deviceId) === conn
    ) {
      this.#devices.delete(conn.deviceId);
      this.#changed();
    }
  }

  /** The online device ids, sorted. */
  online(): string[] {
    this.#online ??= [...this.#devices.keys()].sort();
    return this.#online;
  }

  /**
   * Sends the list to every device that was not sent it yet and whose send
   * buffer is below `maxBufferedBytes`; the others stay pending.
   */
  sendPresence(maxBufferedBytes: number): void {
    this.#pending = false;
    const frame = presenceFrame(this.online());
    for (const conn of this.#devices.values()) {
      if (conn.presence === frame) continue;
      if (conn.canSend(maxBufferedBytes)) {
        conn.peer.send(frame);
        conn.presence = frame;
      } else {
        // Only the newest list matters; a later tick sends it.
        this.#pending = true;
      }
    }
  }

  #changed(): void {
    this.#online = undefined;
    this.#pending = true;
  }
}
