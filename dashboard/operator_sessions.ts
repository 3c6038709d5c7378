/**
 * Operators' browser sessions: a random session id in an `HttpOnly;
 * SameSite=Strict` cookie, looked up in a table held only in this process's
 * memory (a restart logs everyone out), each session with its own CSRF token
 * and an absolute expiry.
 *
 * @module
 */

/** Name of the session cookie. */
export const SESSION_COOKIE = "qstcs_session";

/** How long a login lasts, from the login: 8 hours, one shift. */
export const SESSION_LIFETIME_MS = 8 * 60 * 60 * 1000;

/** Sessions kept at once; a login beyond this ends the oldest. */
export const MAX_SESSIONS = 32;

/** One logged-in browser. */
export interface OperatorSession {
  /** The cookie's value: 256 random bits, base64url. */
  id: string;
  /** The CSRF token every POST of this session must carry. */
  csrf: string;
  /** The operator's enrolled name. */
  operator: string;
  /** When it ends, in ms since the epoch. */
  expiresAt: number;
}

function randomToken(): string {
  return crypto.getRandomValues(new Uint8Array(32)).toBase64({
    alphabet: "base64url",
    omitPadding: true,
  });
}

/**
 * The live sessions.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { SESSION_LIFETIME_MS, SessionTable } from "./operator_sessions.ts";
 *
 * const sessions = new SessionTable();
 * const session = sessions.create("Operator", 0);
 * assertEquals(sessions.get(session.id, 1)?.operator, "Operator");
 * assertEquals(sessions.get(session.id, SESSION_LIFETIME_MS), null);
 * assertEquals(sessions.get("guessed", 1), null);
 * ```
 */
export class SessionTable {
  // Insertion order is login order, so the first entry is the oldest.
  #sessions = new Map<string, OperatorSession>();

  /** Starts a session for `operator` at time `now`. */
  create(operator: string, now: number): OperatorSession {
    this.#prune(now);
    while (this.#sessions.size >= MAX_SESSIONS) {
      this.#sessions.delete(this.#sessions.keys().next().value!);
    }
    const session = {
      id: randomToken(),
      csrf: randomToken(),
      operator,
      expiresAt: now + SESSION_LIFETIME_MS,
    };
    this.#sessions.set(session.id, session);
    return session;
  }

  /** The session with cookie value `id`, if it exists and has not expired. */
  get(id: string, now: number): OperatorSession | null {
    const session = this.#sessions.get(id);
    if (!session) return null;
    if (session.expiresAt <= now) {
      this.#sessions.delete(id);
      return null;
    }
    return session;
  }

  /** Ends a session (logout). */
  end(id: string): void {
    this.#sessions.delete(id);
  }

  /** Number of live sessions. */
  get size(): number {
    return this.#sessions.size;
  }

  #prune(now: number): void {
    for (const [id, session] of this.#sessions) {
      if (session.expiresAt <= now) this.#sessions.delete(id);
    }
  }
}

/**
 * The value of cookie `name` in a request's `Cookie` header, if present.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { cookieValue } from "./operator_sessions.ts";
 *
 * const request = new Request("http://x/", { headers: { cookie: "a=1; qstcs_session=abc" } });
 * assertEquals(cookieValue(request, "qstcs_session"), "abc");
 * assertEquals(cookieValue(request, "b"), null);
 * ```
 */
export function cookieValue(request: Request, name: string): string | null {
  const header = request.headers.get("cookie");
  if (header === null) return null;
  for (const pair of header.split(";")) {
    const at = pair.indexOf("=");
    if (at !== -1 && pair.slice(0, at).trim() === name) {
      return pair.slice(at + 1).trim();
    }
  }
  return null;
}

/**
 * The `Set-Cookie` value that gives a browser `session`; without one, the
 * value that clears the cookie. No `Secure`: the dashboard serves plain HTTP
 * on the LAN, where a browser would drop a `Secure` cookie.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { sessionCookie } from "./operator_sessions.ts";
 *
 * assertEquals(
 *   sessionCookie(null),
 *   "qstcs_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0",
 * );
 * ```
 */
export function sessionCookie(
  session: OperatorSession | null,
  now = Date.now(),
): string {
  const maxAge = session
    ? Math.max(0, Math.ceil((session.expiresAt - now) / 1000))
    : 0;
  return `${SESSION_COOKIE}=${
    session?.id ?? ""
  }; HttpOnly; SameSite=Strict; Path=/; Max-Age=${maxAge}`;
}
