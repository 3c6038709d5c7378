/**
 * Who may press the dashboard's buttons: the operator whose credentials file
 * (`--operator-credentials`, written by `deno task kms:enroll NAME --role
 * operator --credentials FILE`) the server holds. A browser logs in with that
 * operator's name and token, compared in constant time, at most
 * {@linkcode LOGIN_LIMIT} failures per source host; every later POST needs
 * the session cookie and the session's CSRF token.
 *
 * @module
 */

import type { Credentials } from "../protocol/credentials.ts";
import {
  LOGIN_LIMIT,
  type LoginLimit,
  LoginThrottle,
} from "./login_throttle.ts";
import {
  cookieValue,
  type OperatorSession,
  SESSION_COOKIE,
  SessionTable,
} from "./operator_sessions.ts";

/** Form field and header that carry the CSRF token. */
export const CSRF_FIELD = "csrf";
/** Header the islands' fetches send the CSRF token in. */
export const CSRF_HEADER = "x-csrf-token";

/** The outcome of {@linkcode OperatorAuth.authorize}. */
export type Authorization =
  | { ok: true; session: OperatorSession }
  | { ok: false; status: 401 | 403; message: string };

// Failed logins are reported at most this often, with a count.
const FAILURE_REPORT_MS = 10_000;

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)),
  );
}

/**
 * Whether `a` and `b` are the same text, in time that depends on neither:
 * their SHA-256 digests are compared byte by byte without stopping early.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { sameSecret } from "./operator_auth.ts";
 *
 * assertEquals(await sameSecret("t0k3n", "t0k3n"), true);
 * assertEquals(await sameSecret("t0k3n", "t0k3m"), false);
 * ```
 */
export async function sameSecret(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([sha256(a), sha256(b)]);
  let difference = 0;
  for (let i = 0; i < x.length; i++) difference |= x[i] ^ y[i];
  return difference === 0;
}

/**
 * Whether a POST comes from this dashboard's own pages (the browser's
 * `Sec-Fetch-Site` and `Origin`): a page elsewhere must not be able to make
 * an operator's browser act, even before the CSRF token is checked.
 */
export function sameOrigin(request: Request): boolean {
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

/** The most a form the dashboard reads may hold: its forms are a few fields. */
export const MAX_FORM_BYTES = 4096;

/**
 * A URL-encoded form body, read up to {@linkcode MAX_FORM_BYTES} (anyone on
 * the LAN may post to the login, so nothing is buffered beyond that); `null`
 * for another type, a larger body or a broken stream.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { readForm } from "./operator_auth.ts";
 *
 * const post = (body: string) => new Request("http://x/login", { method: "POST", body: new URLSearchParams({ body }) });
 * assertEquals((await readForm(post("hi")))?.get("body"), "hi");
 * assertEquals(await readForm(post("x".repeat(5000))), null);
 * ```
 */
export async function readForm(
  request: Request,
): Promise<URLSearchParams | null> {
  const type = request.headers.get("content-type") ?? "";
  if (!type.startsWith("application/x-www-form-urlencoded") || !request.body) {
    return null;
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of request.body) {
      size += chunk.length;
      if (size > MAX_FORM_BYTES) {
        await request.body.cancel().catch(() => {});
        return null;
      }
      chunks.push(chunk);
    }
  } catch {
    return null;
  }
  const bytes = new Uint8Array(size);
  chunks.reduce((at, chunk) => (bytes.set(chunk, at), at + chunk.length), 0);
  return new URLSearchParams(new TextDecoder().decode(bytes));
}

async function csrfOf(request: Request): Promise<string | null> {
  return request.headers.get(CSRF_HEADER) ??
    (await readForm(request))?.get(CSRF_FIELD) ?? null;
}

/**
 * The configured operator and the sessions of the browsers that logged in
 * as them. Without a configured operator nobody can log in.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { OperatorAuth } from "./operator_auth.ts";
 *
 * const auth = new OperatorAuth({ device_id: "Operator", token: "op-token-0123456789", role: "operator" });
 * assertEquals(await auth.login("Operator", "wrong-token-0123456"), null);
 * const session = await auth.login("Operator", "op-token-0123456789");
 * const post = new Request("http://x/api/reset", {
 *   method: "POST",
 *   headers: { cookie: `qstcs_session=${session!.id}`, "x-csrf-token": session!.csrf },
 * });
 * assertEquals((await auth.authorize(post)).ok, true);
 * assertEquals((await auth.authorize(new Request("http://x/", { method: "POST" }))).ok, false);
 * ```
 */
export class OperatorAuth {
  #operator: Credentials | null;
  #sessions = new SessionTable();
  #now: () => number;
  #log: (line: string) => void;
  #failures = 0;
  #lastReport = -Infinity;
  #throttle: LoginThrottle;

  /**
   * `operator` is the configured credential, `null` for none;
   * `options.loginLimit` defaults to {@linkcode LOGIN_LIMIT}.
   */
  constructor(
    operator: Credentials | null,
    options: {
      now?: () => number;
      log?: (line: string) => void;
      loginLimit?: LoginLimit;
    } = {},
  ) {
    this.#operator = operator;
    this.#now = options.now ?? Date.now;
    this.#log = options.log ?? (() => {});
    this.#throttle = new LoginThrottle({
      limit: options.loginLimit ?? LOGIN_LIMIT,
      now: this.#now,
    });
  }

  /**
   * How long `host` must wait before its next login is checked, after too
   * many failures (0: it may try now).
   */
  retryAfterMs(host: string): number {
    return this.#throttle.retryAfterMs(host);
  }

  /** Whether an operator is configured, so logging in is possible at all. */
  get configured(): boolean {
    return this.#operator !== null;
  }

  /**
   * A new session if `name` and `token` are the configured operator's
   * (`from.source`, `IP:PORT`, goes to the log), else `null`; `null`
   * unchecked while `from.host` waits out its failures.
   */
  async login(
    name: string,
    token: string,
    from: { source?: string; host?: string } = {},
  ): Promise<OperatorSession | null> {
    const { source = "unknown", host = "unknown" } = from;
    if (this.#throttle.retryAfterMs(host) > 0) return null;
    const operator = this.#operator;
    // Both compared, whatever the first says, so timing tells nothing.
    const matches = operator !== null &&
      [
        await sameSecret(name, operator.device_id),
        await sameSecret(token, operator.token),
      ].every(Boolean);
    const now = this.#now();
    if (!matches) {
      this.#throttle.fail(host);
      this.#failures++;
      if (now - this.#lastReport >= FAILURE_REPORT_MS) {
        this.#log(
          `login refused from ${source} (${this.#failures} refused since the last report)`,
        );
        this.#failures = 0;
        this.#lastReport = now;
      }
      return null;
    }
    this.#log(`operator ${operator.device_id} logged in from ${source}`);
    return this.#sessions.create(operator.device_id, now);
  }

  /** The request's live session, if its cookie names one. */
  session(request: Request): OperatorSession | null {
    const id = cookieValue(request, SESSION_COOKIE);
    return id === null ? null : this.#sessions.get(id, this.#now());
  }

  /**
   * Whether a POST may act: from this site's pages (else 403), with a live
   * session (else 401) and that session's CSRF token, in the
   * `x-csrf-token` header or the form's `csrf` field (else 403). The
   * session is checked before any body is read.
   */
  async authorize(request: Request): Promise<Authorization> {
    if (!sameOrigin(request)) {
      return {
        ok: false,
        status: 403,
        message: "cross-origin request refused",
      };
    }
    const session = this.session(request);
    if (!session) {
      return {
        ok: false,
        status: 401,
        message: "log in as the operator first",
      };
    }
    const csrf = await csrfOf(request);
    if (csrf === null || !await sameSecret(csrf, session.csrf)) {
      return {
        ok: false,
        status: 403,
        message: "missing or wrong CSRF token: reload the page",
      };
    }
    return { ok: true, session };
  }

  /** Ends `session` (logout); `source` goes to the log. */
  logout(session: OperatorSession, source = "unknown"): void {
    this.#sessions.end(session.id);
    this.#log(`operator ${session.operator} logged out from ${source}`);
  }
}

/**
 * The answer to a POST that {@linkcode OperatorAuth.authorize} refused:
 * JSON `{ ok: false, message }` with its status (401 or 403).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { refusal } from "./operator_auth.ts";
 *
 * const response = refusal({ ok: false, status: 401, message: "log in as the operator first" });
 * assertEquals(response.status, 401);
 * assertEquals(await response.json(), { ok: false, message: "log in as the operator first" });
 * ```
 */
export function refusal(
  refused: Extract<Authorization, { ok: false }>,
): Response {
  return Response.json({ ok: false, message: refused.message }, {
    status: refused.status,
  });
}
