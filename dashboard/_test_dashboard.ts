/**
 * Test helper: the real dashboard process, built first, on a free loopback
 * port, with its permission set ("dashboard") and only the network list
 * overridden for the test ports; an operator enrolled at the test KMS for it
 * to hold, and a logged-in session over plain `fetch`.
 *
 * @module
 */

import {
  freePort,
  PROJECT_ROOT,
  type ServiceProcess,
  startService,
} from "../common/service_process.ts";
import { build } from "./_fresh/build.ts";
import { site } from "./site.ts";

/** A running test dashboard. */
export interface TestDashboard {
  /** Base URL, e.g. http://127.0.0.1:43124. */
  url: string;
  /** The process. */
  process: ServiceProcess;
}

/** An operator enrolled at a test KMS, with their credentials file. */
export interface TestOperator {
  /** The enrolled name. */
  name: string;
  /** The bearer token. */
  token: string;
  /** The credentials file, relative to the project root (under credentials/). */
  file: string;
  /** Removes the file's folder. */
  remove(): Promise<void>;
}

let built: Promise<unknown> | null = null;

/**
 * Enrolls `Operator` with the operator role in the KMS data directory
 * `dataDir`, as `deno task kms:enroll Operator --role operator --credentials
 * FILE` does, into a fresh folder under credentials/ (which the dashboard's
 * permission set may read).
 */
export async function enrollOperator(dataDir: string): Promise<TestOperator> {
  const { file, remove } = operatorFile();
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-P=kms-admin",
      "kms/enroll.ts",
      "Operator",
      "--role",
      "operator",
      "--credentials",
      file,
    ],
    cwd: PROJECT_ROOT,
    env: { KMS_DATA: dataDir, NO_COLOR: "1" },
  }).output();
  if (code !== 0) {
    throw new Error(`enroll failed: ${new TextDecoder().decode(stderr)}`);
  }
  const { token } = JSON.parse(
    await Deno.readTextFile(`${PROJECT_ROOT}${file}`),
  );
  return { name: "Operator", token, file, remove };
}

/** A fresh folder under credentials/ for an operator's file, and its removal. */
function operatorFile(): { file: string; remove: () => Promise<void> } {
  const folder = `credentials/test-${crypto.randomUUID().slice(0, 8)}`;
  return {
    file: `${folder}/Operator.json`,
    remove: () =>
      Deno.remove(`${PROJECT_ROOT}${folder}`, { recursive: true }).catch(
        () => {},
      ),
  };
}

/**
 * An operator's credentials file written directly, for a dashboard over a
 * fake KMS (which checks no tokens), under credentials/ like
 * {@linkcode enrollOperator}'s.
 */
export async function writeOperator(): Promise<TestOperator> {
  const { file, remove } = operatorFile();
  const token = `operator-${crypto.randomUUID()}`;
  const path = `${PROJECT_ROOT}${file}`;
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  await Deno.writeTextFile(
    path,
    JSON.stringify({ device_id: "Operator", token, role: "operator" }),
  );
  return { name: "Operator", token, file, remove };
}

/**
 * Builds the islands (once per test run) and starts the dashboard, holding
 * `operator`'s credential when given.
 */
export async function startDashboard(
  kmsUrl: string,
  options: {
    operator?: TestOperator;
    /** A relay for the network view: its HTTP URL and admin token file (under credentials/). */
    relay?: { url: string; tokenFile: string };
  } = {},
): Promise<TestDashboard> {
  built ??= build(site);
  await built;
  const port = freePort();
  const credentials = options.operator
    ? ["--operator-credentials", options.operator.file]
    : [];
  const process = await startService({
    permissionSet: "dashboard",
    entry: "dashboard/main.ts",
    args: [
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--kms",
      kmsUrl,
      ...credentials,
      ...(options.relay
        ? [
          "--relay",
          options.relay.url,
          "--relay-token-file",
          options.relay.tokenFile,
        ]
        : []),
    ],
    net: [
      `127.0.0.1:${port}`,
      new URL(kmsUrl).host,
      ...(options.relay ? [new URL(options.relay.url).host] : []),
    ],
  }, { ready: /listening on http/ });
  return { url: `http://127.0.0.1:${port}`, process };
}

/**
 * A relay admin token in a fresh file under credentials/ (which both the
 * relay, given `--allow-read` of it, and the dashboard may read).
 */
export async function writeRelayToken(): Promise<
  { token: string; file: string; remove: () => Promise<void> }
> {
  const { file, remove } = operatorFile();
  const relayFile = file.replace("Operator.json", "relay_admin.token");
  const token = `relay-admin-${crypto.randomUUID()}`;
  const path = `${PROJECT_ROOT}${relayFile}`;
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  await Deno.writeTextFile(path, `${token}\n`);
  return { token, file: relayFile, remove };
}

/** A browser's session over `fetch`: its cookie and the page's CSRF token. */
export interface FetchSession {
  /** The `Cookie` header to send. */
  cookie: string;
  /** The CSRF token from the page. */
  csrf: string;
}

/** Logs in to the dashboard at `url` as `operator`, as the login form does. */
export async function logIn(
  url: string,
  operator: TestOperator,
): Promise<FetchSession> {
  const response = await fetch(`${url}/login`, {
    method: "POST",
    headers: { origin: url },
    body: new URLSearchParams({
      operator: operator.name,
      token: operator.token,
    }),
    redirect: "manual",
  });
  await response.body?.cancel();
  const cookie = response.headers.get("set-cookie")?.split(";")[0];
  if (response.status !== 303 || !cookie) {
    throw new Error(`login answered ${response.status}`);
  }
  const page = await (await fetch(url, { headers: { cookie } })).text();
  const csrf = page.match(/name="csrf" value="([^"]+)"/)?.[1];
  if (!csrf) throw new Error("no CSRF token on the page");
  return { cookie, csrf };
}
