/**
 * `GET /audit` (an operator's token unless `--open`): the audit log by tag,
 * device and text, a page at a time, collapsed or not, as JSON or CSV
 * (`audit_query.ts`; the parameters in `protocol/soc_query.ts`).
 *
 * @module
 */

import { parseAuditQuery } from "../protocol/mod.ts";
import { auditCsv, queryAudit } from "./audit_query.ts";
import { authorizeOperator } from "./caller.ts";
import { HttpError, json } from "./http.ts";
import type { Handler } from "./router.ts";

/**
 * `GET /audit?tag=T&device=D&q=TEXT&before=ID&limit=N&collapse=1&format=json|csv`:
 * `{rows, next_before}`, or the rows as a CSV attachment (the next page's
 * `before` in the `X-Next-Before` header); bad parameters are a 400.
 */
export const auditQuery: Handler = (request, context) => {
  authorizeOperator(request, context);
  const parsed = parseAuditQuery(new URL(request.url).searchParams);
  if (!parsed.ok) {
    throw new HttpError(400, "bad_query", { message: parsed.reason });
  }
  const page = queryAudit(context.kms.store, parsed.query);
  if (parsed.query.format !== "csv") return json(page);
  return new Response(auditCsv(page.rows), {
    headers: {
      "content-type": "text/csv; charset=utf-8; header=present",
      "content-disposition": 'attachment; filename="qstcs-audit.csv"',
      ...(page.next_before === null
        ? {}
        : { "x-next-before": String(page.next_before) }),
    },
  });
};
