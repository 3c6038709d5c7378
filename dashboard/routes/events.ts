import { ServerSentEventStream } from "@std/http/server-sent-event-stream";
import type { Handlers } from "../_fresh/server.ts";
import type { AppState } from "../kms_monitor.ts";

interface ServerSentEventMessage {
  event?: string;
  data?: string;
  comment?: string;
  retry?: number;
}

// Events held for a browser that reads too slowly before it is dropped (its
// EventSource reconnects and starts over from a snapshot).
const MAX_BUFFERED_EVENTS = 256;
// A comment this often keeps proxies from closing an idle stream.
const KEEPALIVE_MS = 15_000;
// How soon a browser reconnects after losing the stream.
const RETRY_MS = 1_000;

/**
 * GET /events: the browser's live feed. A `snapshot` of the whole state,
 * then each change as an `update`, folded in the browser with the same
 * reducer as here.
 */
export const handler: Handlers<undefined, AppState> = {
  GET(_request, ctx) {
    const { monitor } = ctx.state;
    let stop = () => {};
    const body = new ReadableStream<ServerSentEventMessage>({
      start(controller) {
        const keepalive = setInterval(() => {
          if ((controller.desiredSize ?? 0) > 0) {
            controller.enqueue({ comment: "keepalive" });
          }
        }, KEEPALIVE_MS);
        const end = () => {
          stop();
          try {
            controller.close();
          } catch {
            // Already closed by the browser.
          }
        };
        const unsubscribe = monitor.subscribe((event) => {
          if ((controller.desiredSize ?? 0) <= 0) return end();
          controller.enqueue({ event: "update", data: JSON.stringify(event) });
        });
        monitor.closed.addEventListener("abort", end);
        stop = () => {
          clearInterval(keepalive);
          unsubscribe();
          monitor.closed.removeEventListener("abort", end);
        };
        controller.enqueue({
          event: "snapshot",
          data: JSON.stringify(monitor.state),
          retry: RETRY_MS,
        });
        if (monitor.closed.aborted) end();
      },
      cancel: () => stop(),
    }, new CountQueuingStrategy({ highWaterMark: MAX_BUFFERED_EVENTS }));
    return new Response(body.pipeThrough(new ServerSentEventStream()), {
      headers: {
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
      },
    });
  },
};
