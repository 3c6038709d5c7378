/**
 * The live event feed behind `GET /events`: Server-Sent Events for the
 * dashboard. Events carry link figures and key metadata, never key material.
 *
 * @module
 */

import { type SseChannel, sseResponse } from "../common/sse.ts";
import type { KmsEvent } from "../protocol/mod.ts";

/**
 * Fans events out to every open `/events` stream. A subscriber that stops
 * reading is dropped once 256 events wait for it.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { EventHub } from "./events.ts";
 *
 * const hub = new EventHub();
 * const response = hub.subscribe(() => []);
 * hub.publish({ event: "attack_mode", data: { attack_mode: true } });
 * hub.close();
 * assertEquals(
 *   await response.text(),
 *   'event:attack_mode\ndata:{"attack_mode":true}\nid:1\n\n',
 * );
 * ```
 */
export class EventHub {
  #subscribers = new Set<SseChannel>();
  #nextId = 1;

  /** Number of open streams. */
  get size(): number {
    return this.#subscribers.size;
  }

  /** Sends an event to every subscriber. */
  publish(event: KmsEvent): void {
    if (this.#subscribers.size === 0) return;
    const message = this.#message(event);
    for (const channel of this.#subscribers) channel.send(message);
  }

  /** Opens a stream that starts with `initial()` events, then follows live ones. */
  subscribe(initial: () => KmsEvent[]): Response {
    return sseResponse((channel) => {
      for (const event of initial()) channel.send(this.#message(event));
      this.#subscribers.add(channel);
      return () => this.#subscribers.delete(channel);
    });
  }

  /** Ends every stream (shutdown). */
  close(): void {
    for (const channel of this.#subscribers) channel.close();
  }

  #message(event: KmsEvent) {
    return {
      event: event.event,
      data: JSON.stringify(event.data),
      id: this.#nextId++,
    };
  }
}
