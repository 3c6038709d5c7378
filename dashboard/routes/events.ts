import { sseResponse } from "../../common/sse.ts";
import type { Handlers } from "../_fresh/server.ts";
import { refusal } from "../operator_auth.ts";
import type { AppState } from "../app_state.ts";

// How soon a browser reconnects after losing the stream.
const RETRY_MS = 1_000;

/**
 * GET /events: the browser's live feed. A `snapshot` of the whole state,
 * then each change as an `update`, folded in the browser with the same
 * reducer as here. A browser that reads too slowly is dropped; its
 * EventSource reconnects and starts over from a snapshot. Only for a
 * logged-in operator: the audit log names devices and addresses.
 */
export const handler: Handlers<undefined, AppState> = {
  GET(request, ctx) {
    const { monitor, auth } = ctx.state;
    if (!auth.session(request)) {
      return refusal({
        ok: false,
        status: 401,
        message: "log in as the operator first",
      });
    }
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
