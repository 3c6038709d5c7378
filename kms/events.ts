/**
 * The live event feed behind `GET /events`: Server-Sent Events for the
 * dashboard. Events carry link figures and key metadata, never key material.
 *
 * @module
 */

import { ServerSentEventStream } from "@std/http/server-sent-event-stream";

/** One event: its SSE name and a JSON-able payload. */
export interface KmsEvent {
  /** `state`, `link`, `key`, `attack`, `reset` or `audit`. */
  event: string;
  /** The payload, sent as compact JSON. */
  data: unknown;
}

interface ServerSentEventMessage {
  event?: string;
  data?: string;
  id?: string | number;
  comment?: string;
  retry?: number;
}

/** Events held for a subscriber that reads too slowly before it is dropped. */
const MAX_BUFFERED_EVENTS = 256;
/** A comment line this often keeps proxies from closing an idle stream. */
const KEEPALIVE_MS = 15_000;

/**
 * Fans events out to every open `/events` stream.
 *
 * @example
 * ```ts
 * import { EventHub } from "./events.ts";
 * const hub = new EventHub();
 * const response = hub.subscribe(() => [{ event: "state", data: { status: "GREEN" } }]);
 * hub.publish({ event: "link", data: { qber: 0.02 } });
 * console.log(response.headers.get("content-type")); // text/event-stream
 * ```
 */
export class EventHub {
  // Each open stream with its keepalive timer.
  #subscribers = new Map<
    ReadableStreamDefaultController<ServerSentEventMessage>,
    ReturnType<typeof setInterval>
  >();
  #nextId = 1;

  /** Number of open streams. */
  get size(): number {
    return this.#subscribers.size;
  }

  /** Sends an event to every subscriber. */
  publish(event: KmsEvent): void {
    if (this.#subscribers.size === 0) return;
    const message = this.#message(event);
    for (const controller of this.#subscribers.keys()) {
      // A subscriber that has stopped reading is dropped rather than buffered forever.
      if ((controller.desiredSize ?? 0) <= 0) {
        this.#drop(controller);
        continue;
      }
      controller.enqueue(message);
    }
  }

  /** Opens a stream that starts with `initial()` events, then follows live ones. */
  subscribe(initial: () => KmsEvent[]): Response {
    let self: ReadableStreamDefaultController<ServerSentEventMessage>;
    const body = new ReadableStream<ServerSentEventMessage>({
      start: (controller) => {
        self = controller;
        for (const event of initial()) controller.enqueue(this.#message(event));
        const timer = setInterval(() => {
          if ((controller.desiredSize ?? 0) > 0) {
            controller.enqueue({ comment: "keepalive" });
          }
        }, KEEPALIVE_MS);
        this.#subscribers.set(controller, timer);
      },
      cancel: () => {
        clearInterval(this.#subscribers.get(self));
        this.#subscribers.delete(self);
      },
    }, new CountQueuingStrategy({ highWaterMark: MAX_BUFFERED_EVENTS }));
    return new Response(body.pipeThrough(new ServerSentEventStream()), {
      headers: {
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
      },
    });
  }

  /** Ends every stream (shutdown). */
  close(): void {
    for (const controller of this.#subscribers.keys()) this.#drop(controller);
  }

  #message(event: KmsEvent): ServerSentEventMessage {
    return {
      event: event.event,
      data: JSON.stringify(event.data),
      id: this.#nextId++,
    };
  }

  #drop(
    controller: ReadableStreamDefaultController<ServerSentEventMessage>,
  ): void {
    clearInterval(this.#subscribers.get(controller));
    this.#subscribers.delete(controller);
    try {
      controller.close();
    } catch {
      // Already closed by the client.
    }
  }
}
