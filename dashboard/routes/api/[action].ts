import type { Handlers } from "../../_fresh/server.ts";
import { type AppState, describeSource } from "../../app_state.ts";
import type { OperatorAction } from "../../kms_monitor.ts";
import { refusal } from "../../operator_auth.ts";

const ACTIONS: ReadonlySet<string> = new Set<OperatorAction>([
  "force_attack",
  "reset",
]);

/**
 * POST /api/force_attack and /api/reset, from a logged-in operator's page
 * (session cookie and CSRF token): forwarded to the KMS with the dashboard's
 * operator credential. JSON for the island's fetch; a redirect back to the
 * page for a plain form post.
 */
export const handler: Handlers<undefined, AppState> = {
  async POST(request, ctx) {
    const action = ctx.params.action;
    if (!ACTIONS.has(action)) return ctx.renderNotFound();
    const { auth, monitor, log } = ctx.state;
    const allowed = await auth.authorize(request);
    if (!allowed.ok) return refusal(allowed);
    const result = await monitor.act(action as OperatorAction);
    log(
      `operator action ${action} by ${allowed.session.operator} from ${
        describeSource(ctx.remoteAddr)
      }: ${result.ok ? "done" : "failed"}`,
    );
    if (request.headers.get("accept")?.includes("application/json")) {
      return Response.json(result, { status: result.ok ? 200 : 502 });
    }
    return new Response(null, { status: 303, headers: { location: "/" } });
  },
};
