import type { Handlers, PageProps } from "../_fresh/server.ts";
import { type AppState, describeSource } from "../app_state.ts";
import { OpenKmsWarning } from "../components/OpenKmsWarning.tsx";
import { SimulationNotice } from "../components/SimulationNotice.tsx";
import { readForm, sameOrigin } from "../operator_auth.ts";
import { sessionCookie } from "../operator_sessions.ts";
import type { KmsAuth } from "../soc_state.ts";

/** What the login page renders from. */
export interface LoginPageData {
  /** Whether the server holds an operator credential to log in as. */
  configured: boolean;
  /** The KMS's authentication mode, for the open-mode warning. */
  kmsAuth: KmsAuth;
  /** Why the last attempt failed, if it did. */
  error?: string;
}

function page(ctx: { state: AppState }, error?: string): LoginPageData {
  return {
    configured: ctx.state.auth.configured,
    kmsAuth: ctx.state.monitor.state.kmsAuth,
    error,
  };
}

/**
 * GET /login: the form (or back to the view when already logged in).
 * POST /login: the operator's name and token; right, a session cookie and
 * the view; wrong, the form again with 401; after too many failures from
 * the host, 429 with `Retry-After` until its window ends.
 */
export const handler: Handlers<LoginPageData, AppState> = {
  GET(request, ctx) {
    if (ctx.state.auth.session(request)) {
      return new Response(null, { status: 303, headers: { location: "/" } });
    }
    return ctx.render(page(ctx));
  },
  async POST(request, ctx) {
    if (!sameOrigin(request)) {
      return ctx.render(page(ctx, "cross-origin request refused"), {
        status: 403,
      });
    }
    const host = ctx.remoteAddr?.hostname ?? "unknown";
    const waitMs = ctx.state.auth.retryAfterMs(host);
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      const response = await ctx.render(
        page(
          ctx,
          `Too many failed logins from this address: try again in ${seconds} s.`,
        ),
        { status: 429 },
      );
      response.headers.set("retry-after", String(seconds));
      return response;
    }
    const form = await readForm(request);
    const name = form?.get("operator");
    const token = form?.get("token");
    const session = name != null && token != null
      ? await ctx.state.auth.login(name, token.trim(), {
        source: describeSource(ctx.remoteAddr),
        host,
      })
      : null;
    if (!session) {
      return ctx.render(page(ctx, "Wrong operator name or token."), {
        status: 401,
      });
    }
    return new Response(null, {
      status: 303,
      headers: { location: "/", "set-cookie": sessionCookie(session) },
    });
  },
};

/**
 * The operator login: name and token, as `deno task kms:enroll NAME --role
 * operator --credentials FILE` wrote them into FILE.
 *
 * @example
 * ```tsx
 * import { assertStringIncludes } from "@std/assert";
 * import { renderToString } from "preact-render-to-string";
 * import LoginPage from "./login.tsx";
 *
 * const html = renderToString(
 *   <LoginPage data={{ configured: true, kmsAuth: "open" }} url={new URL("http://x/login")} params={{}} state={null as never} />,
 * );
 * assertStringIncludes(html, '<label for="login-operator">Operator name</label>');
 * assertStringIncludes(html, "KMS IN OPEN MODE");
 * ```
 */
export default function LoginPage(
  { data }: PageProps<LoginPageData, AppState>,
) {
  return (
    <div class="soc login">
      <header class="soc-header">
        <div class="brand">
          <h1>QSTCS Security Operations</h1>
          <p>Operator login</p>
        </div>
        <SimulationNotice />
      </header>
      <OpenKmsWarning kmsAuth={data.kmsAuth} />
      <main>
        <form class="panel login-form" method="post" action="/login">
          <h2>Log in as the operator</h2>
          {data.configured ? null : (
            <p class="result-error" role="alert">
              This dashboard has no operator credential: start it with
              --operator-credentials FILE (from deno task kms:enroll NAME --role
              operator --credentials FILE).
            </p>
          )}
          <label for="login-operator">Operator name</label>
          <input
            id="login-operator"
            name="operator"
            autocomplete="username"
            required
          />
          <label for="login-token">Token</label>
          <input
            id="login-token"
            name="token"
            type="password"
            autocomplete="current-password"
            required
          />
          <p class="login-hint">
            Both are in the operator's credentials file, written by{" "}
            <code>
              deno task kms:enroll NAME --role operator --credentials FILE
            </code>.
          </p>
          {data.error && (
            <p class="result-error" role="alert" data-testid="login-error">
              {data.error}
            </p>
          )}
          <button class="btn btn-reset" type="submit" data-testid="login">
            Log in
          </button>
        </form>
      </main>
    </div>
  );
}
