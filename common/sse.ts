/**
 * Server-Sent Event responses with the two protections every live feed here
 * needs: a reader that stops reading is dropped once its buffer is full
 * (never buffered without end), and a keepalive comment stops proxies from
 * closing a quiet stream.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { sseResponse } from "./sse.ts";
 *
 * const response = sseResponse((channel) => {
 *   channel.send({ event: "state", data: "{}" });
 *   channel.close();
 * });
 * assertEquals(response.headers.get("content-type"), "text/event-stream");
 * assertEquals(await response.text(), "event:state\ndata:{}\n\n");
 * ```
 *
 * @module
 */

import { type ServerSentEventMessage, ServerSentEventStream } from "./std.ts";

export type { ServerSentEventMessage } from "./std.ts";

/** One open stream, as its producer sees it. */
export interface SseChannel {
  /**
   * Queues one event. A reader whose buffer is full is too slow: the stream
   * is closed instead and `false` returned.
   */
  send(message: ServerSentEventMessage): boolean;
  /** Ends the stream (idempotent). */
  close(): void;
}

/** Limits of {@linkcode sseResponse}. */
export interface SseOptions {
  /** Events held for a slow reader before it is dropped. Default 256. */
  bufferedEvents?: number;
  /** How often a keepalive comment goes out, in ms. Default 15,000. */
  keepaliveMs?: number;
}

/**
 * A `text/event-stream` response fed through the channel given to `open`.
 * The function `open` may return returns a clean-up, called once when the
 * stream ends, whether the producer closed it, the reader was too slow or
 * the reader went away.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { sseResponse } from "./sse.ts";
 *
 * let cleaned = 0;
 * const response = sseResponse((channel) => {
 *   queueMicrotask(() => channel.close());
 *   return () => cleaned++;
 * });
 * await response.text();
 * assertEquals(cleaned, 1);
 * ```
 */
export function sseResponse(
  open: (channel: SseChannel) => (() => void) | void,
  options: SseOptions = {},
): Response {
  let cleanup: (() => void) | void;
  let ended = false;
  let keepalive: ReturnType<typeof setInterval> | undefined;
  const end = () => {
    if (ended) return false;
    ended = true;
    clearInterval(keepalive);
    cleanup?.();
    return true;
  };
  const body = new ReadableStream<ServerSentEventMessage>(
    {
      start(controller) {
        const channel: SseChannel = {
          send(message) {
            if (ended) return false;
            if ((controller.desiredSize ?? 0) <= 0) {
              channel.close();
              return false;
            }
            controller.enqueue(message);
            return true;
          },
          close() {
            if (end()) controller.close();
          },
        };
        keepalive = setInterval(() => {
          if ((controller.desiredSize ?? 0) > 0) {
            controller.enqueue({ comment: "keepalive" });
          }
        }, options.keepaliveMs ?? 15_000);
        cleanup = open(channel);
        // The producer may have closed the stream before handing over its
        // clean-up.
        if (ended) cleanup?.();
      },
      cancel: () => void end(),
    },
    new CountQueuingStrategy({ highWaterMark: options.bufferedEvents ?? 256 }),
  );
  return new Response(body.pipeThrough(new ServerSentEventStream()), {
    headers: {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
    },
  });
}
