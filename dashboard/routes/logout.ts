import type { Handlers } from "../_fresh/server.ts";
import { type AppState, describeSource } from "../app_state.ts";
import { refusal } from "../operator_auth.ts";
import { sessionCookie } from "../operator_sessions.ts";

/**
 * POST /logout (session and CSRF token, as every POST): ends the session,
 * clears the cookie and goes back to the login.
 */
export const handler: Handlers<undefined, AppState> = {
  async POST(request, ctx) {
    const allowed = await ctx.state.auth.authorize(request);
    if (!allowed.ok) return refusal(allowed);
    ctx.state.auth.logout(allowed.session, describeSource(ctx.remoteAddr));
    return new Response(null, {
      status: 303,
      headers: { location: "/login", "set-cookie": sessionCookie(null) },
    });
  },
};
