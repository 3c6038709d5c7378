/**
 * Test helper: the dashboard's site in process, over a {@linkcode FakeKms},
 * with a configured operator and a way to log in as them.
 *
 * @module
 */

import { createHandler } from "./_fresh/server.ts";
import type { AppState } from "./app_state.ts";
import type { FakeKms } from "./_test_fake_kms.ts";
import { KmsMonitor } from "./kms_monitor.ts";
import { OperatorAuth } from "./operator_auth.ts";
import { site } from "./site.ts";
import { SocQueries, type SocQueriesOptions } from "./soc_queries.ts";
import type { Credentials } from "../protocol/credentials.ts";

/** The operator the test dashboard is configured with. */
export const TEST_OPERATOR: Credentials = {
  device_id: "Operator",
  token: "operator-token-for-tests-0123456789",
  role: "operator",
};

/** Where test requests come from. */
export const TEST_ORIGIN = "http://127.0.0.1:8501";

const INFO = {
  remoteAddr: { transport: "tcp", hostname: "127.0.0.9", port: 40000 },
  completed: Promise.resolve(),
} as Deno.ServeHandlerInfo<Deno.NetAddr>;

/** A logged-in browser: its cookie header and the page's CSRF token. */
export interface TestSession {
  cookie: string;
  csrf: string;
}

/** The site over `kms`, its state, and lines it logged. */
export function testSite(
  kms: FakeKms,
  options: {
    operator?: Credentials | null;
    /** A relay for the network view, reached through `relay.fetch`. */
    relay?: Pick<SocQueriesOptions, "relayUrl" | "relayToken" | "fetch">;
  } = {},
) {
  const logs: string[] = [];
  const log = (line: string) => logs.push(line);
  const operator = options.operator === undefined
    ? TEST_OPERATOR
    : options.operator;
  const monitor = new KmsMonitor({
    kmsUrl: "http://kms.test",
    fetch: kms.fetch,
    retryMs: 20,
    log: () => {},
    operatorToken: operator?.token,
  });
  const state: AppState = {
    monitor,
    auth: new OperatorAuth(operator, { log }),
    queries: new SocQueries({
      kmsUrl: "http://kms.test",
      fetch: kms.fetch,
      operatorToken: operator?.token,
      ...options.relay,
    }),
    log,
  };
  const handler = createHandler(site, { state });
  const handle = (path: string, init?: RequestInit) =>
    handler(new Request(`${TEST_ORIGIN}${path}`, init), INFO);
  /** POSTs the login form; returns the response. */
  const postLogin = (name: string, token: string) =>
    handle("/login", {
      method: "POST",
      headers: { origin: TEST_ORIGIN },
      body: new URLSearchParams({ operator: name, token }),
    });
  /** Logs in as the configured operator and reads the page's CSRF token. */
  const login = async (): Promise<TestSession> => {
    const response = await postLogin(
      TEST_OPERATOR.device_id,
      TEST_OPERATOR.token,
    );
    await response.body?.cancel();
    const setCookie = response.headers.get("set-cookie") ?? "";
    const cookie = setCookie.split(";")[0];
    const page = await (await handle("/", { headers: { cookie } })).text();
    const csrf = page.match(/name="csrf" value="([^"]+)"/)?.[1];
    if (!cookie || !csrf) throw new Error(`login failed: ${setCookie}`);
    return { cookie, csrf };
  };
  return { monitor, state, handle, postLogin, login, logs };
}
