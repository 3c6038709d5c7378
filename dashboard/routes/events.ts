import { sseResponse } from "../../common/sse.ts";
import type { Handlers } from "../_fresh/server.ts";
import type { AppState } from "../kms_monitor.ts";

// How soon a browser reconnects after losing the stream.
const RETRY_MS = 1_000;

/**
 * GET /events: the browser's live feed. A `snapshot` of the whole state,
 * then each change as an `update`, folded in the browser with the same
 * reducer as here. A browser that reads too slowly is dropped; its
 * EventSource reconnects and starts over from a snapshot.
 */
export const handler: Handlers<undefined, AppState> = {
  GET(_request, ctx) {
    const { monitor } = ctx.state;
    return sseResponse((channel) => {
      const close = () => channel.close();
      channel.send({
        event: "snapshot",
        data: JSON.stringify(monitor.state),
        retry: RETRY_MS,
      });
      const unsubscribe = monitor.subscribe((event) => {
        channel.send({ event: "update", data: JSON.stringify(event) });
      });
      monitor.closed.addEventListener("abort", close);
      if (monitor.closed.aborted) close();
      return () => {
        unsubscribe();
        monitor.closed.removeEventListener("abort", close);
      };
    });
  },
};
