import type { Handlers } from "../../_fresh/server.ts";
import type { AppState, OperatorAction } from "../../kms_monitor.ts";

const ACTIONS: ReadonlySet<string> = new Set<OperatorAction>([
  "force_attack",
  "reset",
]);

/**
 * Whether a POST comes from this dashboard's own pages: a page elsewhere
 * must not be able to make an operator's browser force an attack.
 */
function sameOrigin(request: Request): boolean {
  const site = request.headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin" && site !== "none") return false;
  const origin = request.headers.get("origin");
  // No Origin: not a browser request from another page (curl, scripts).
  if (origin === null) return true;
  try {
    return new URL(origin).host === new URL(request.url).host;
  } catch {
    return false; // "null" (an opaque origin) or garbage
  }
}

/**
 * POST /api/force_attack and /api/reset: forwarded to the KMS. JSON for the
 * island's fetch; a redirect back to the page for a plain form post.
 */
export const handler: Handlers<undefined, AppState> = {
  async POST(request, ctx) {
    const action = ctx.params.action;
    if (!ACTIONS.has(action)) return ctx.renderNotFound();
    if (!sameOrigin(request)) {
      return Response.json({
        ok: false,
        message: "cross-origin request refused",
      }, { status: 403 });
    }
    const result = await ctx.state.monitor.act(action as OperatorAction);
    if (request.headers.get("accept")?.includes("application/json")) {
      return Response.json(result, { status: result.ok ? 200 : 502 });
    }
    return new Response(null, { status: 303, headers: { location: "/" } });
  },
};
