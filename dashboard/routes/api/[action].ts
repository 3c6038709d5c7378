import type { Handlers } from "../../_fresh/server.ts";
import { type AppState, describeSource } from "../../app_state.ts";
import type { OperatorAction } from "../../kms_monitor.ts";
import { readForm, refusal } from "../../operator_auth.ts";
import type { SocQueries } from "../../soc_queries.ts";

const ACTIONS: ReadonlySet<string> = new Set<OperatorAction>([
  "force_attack",
  "reset",
]);

/** The analyst's read-only questions, by path. */
const QUERIES: Record<
  string,
  (queries: SocQueries, params: URLSearchParams) => Promise<Response>
> = {
  history: (queries, params) => queries.linkHistory(params),
  audit: (queries, params) => queries.audit(params),
  devices: (queries) => queries.devices(),
  rooms: (queries) => queries.rooms(),
};

function wantsJson(request: Request): boolean {
  return request.headers.get("accept")?.includes("application/json") ?? false;
}

/**
 * GET /api/history, /api/audit, /api/devices and /api/rooms: the KMS's block
 * history and audit query (and its CSV or JSON export), the relay's devices
 * and the KMS's rooms, asked by this server with its credentials for a
 * logged-in operator.
 *
 * POST /api/force_attack, /api/reset and /api/acknowledge (form field
 * `incident_id`), from a logged-in operator's page (session cookie and CSRF
 * token): forwarded to the KMS with the dashboard's operator credential.
 * JSON for the islands' fetch; a redirect back to the page for a plain form
 * post.
 */
export const handler: Handlers<undefined, AppState> = {
  GET(request, ctx) {
    const action = ctx.params.action;
    if (ACTIONS.has(action) || action === "acknowledge") {
      return new Response("method not allowed\n", {
        status: 405,
        headers: { allow: "POST" },
      });
    }
    const query = QUERIES[action];
    if (!query) return ctx.renderNotFound();
    if (!ctx.state.auth.session(request)) {
      return refusal({
        ok: false,
        status: 401,
        message: "log in as the operator first",
      });
    }
    return query(ctx.state.queries, ctx.url.searchParams);
  },
  async POST(request, ctx) {
    const action = ctx.params.action;
    if (!ACTIONS.has(action) && action !== "acknowledge") {
      return ctx.renderNotFound();
    }
    const { auth, monitor, log, queries } = ctx.state;
    // The form is read after the session is checked, from a copy: the CSRF
    // token may be one of its fields.
    const copy = request.clone();
    const allowed = await auth.authorize(request);
    if (!allowed.ok) return refusal(allowed);
    const by = `by ${allowed.session.operator} from ${
      describeSource(ctx.remoteAddr)
    }`;
    if (action === "acknowledge") {
      const id = Number((await readForm(copy))?.get("incident_id"));
      if (!Number.isSafeInteger(id) || id < 1) {
        return Response.json({ ok: false, message: "no incident_id" }, {
          status: 400,
        });
      }
      const response = await queries.acknowledge(id);
      log(
        `operator action acknowledge incident ${id} ${by}: ${
          response.ok ? "done" : "failed"
        }`,
      );
      if (wantsJson(request)) return response;
      await response.body?.cancel();
      return new Response(null, { status: 303, headers: { location: "/" } });
    }
    await copy.body?.cancel();
    const result = await monitor.act(action as OperatorAction);
    log(`operator action ${action} ${by}: ${result.ok ? "done" : "failed"}`);
    if (wantsJson(request)) {
      return Response.json(result, { status: result.ok ? 200 : 502 });
    }
    return new Response(null, { status: 303, headers: { location: "/" } });
  },
};
