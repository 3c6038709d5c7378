/**
 * `GET /link_history` (an operator's token unless `--open`): the link's
 * blocks across resets, with their epochs (`link_history.ts`; the
 * parameters in `protocol/soc_query.ts`).
 *
 * @module
 */

import { parseLinkHistoryQuery } from "../protocol/mod.ts";
import { authorizeOperator } from "./caller.ts";
import { HttpError, json } from "./http.ts";
import { HISTORY_MAX_AGE_MS } from "./link_history.ts";
import type { Handler } from "./router.ts";

/**
 * `GET /link_history?since=MS&until=MS&max=N`: `{epochs, blocks}`, by
 * default the last 24 h in at most 600 points, each bucket's highest-QBER
 * block; bad parameters are a 400.
 */
export const linkHistory: Handler = (request, context) => {
  authorizeOperator(request, context);
  const parsed = parseLinkHistoryQuery(new URL(request.url).searchParams);
  if (!parsed.ok) {
    throw new HttpError(400, "bad_query", { message: parsed.reason });
  }
  const until = parsed.query.until ?? Date.now();
  const since = parsed.query.since ?? Math.max(0, until - HISTORY_MAX_AGE_MS);
  if (since > until) {
    throw new HttpError(400, "bad_query", {
      message: "since must not be after until",
    });
  }
  return json(
    context.kms.history.query({ since, until, max: parsed.query.max }),
  );
};
