/**
 * Test helpers: a real KMS process on a free loopback port with a fresh data
 * directory under data/ (the only place its permission set may write), and
 * a KMS in memory whose handler the tests call directly.
 *
 * @module
 */

import {
  freePort,
  PROJECT_ROOT,
  type ServiceProcess,
  startService,
} from "../demo/service_process.ts";
import { importAesKey } from "../protocol/mod.ts";
import { newToken, tokenHash } from "./auth.ts";
import { parseKmsConfig } from "./config.ts";
import { closeKms, createKms, type Kms } from "./context.ts";
import { createHandler } from "./server.ts";
import { KmsStore } from "./store.ts";

/** Requests as the tests make them. */
export interface TestClient {
  /** POSTs JSON (or a raw string) and returns status, parsed body and raw text. */
  post(
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<TestResponse>;
  /** GETs a path. */
  get(path: string, headers?: Record<string, string>): Promise<TestResponse>;
}

/** A running test KMS. */
export interface TestKms extends TestClient {
  /** Base URL, e.g. http://127.0.0.1:43123. */
  url: string;
  /** Data directory, relative to the project root. */
  dataDir: string;
  /** The process. */
  process: ServiceProcess;
  /** Stops the process (the data directory stays). */
  stop(): Promise<void>;
}

/** A response as the tests look at it. */
export interface TestResponse {
  /** HTTP status. */
  status: number;
  /** Parsed JSON (undefined if not JSON). */
  body: Record<string, unknown>;
  /** The raw text. */
  text: string;
  /** Headers. */
  headers: Headers;
}

/** A fresh data directory name under data/. */
export function testDataDir(): string {
  return `data/test-${crypto.randomUUID().slice(0, 8)}`;
}

/** Removes a test data directory. */
export async function removeDataDir(dataDir: string): Promise<void> {
  await Deno.remove(`${PROJECT_ROOT}${dataDir}`, { recursive: true }).catch(
    () => {},
  );
}

/** Starts the KMS with its permission set ("kms"), only the port overridden. */
export async function startKms(
  options: { dataDir?: string; args?: string[]; port?: number } = {},
): Promise<TestKms> {
  const port = options.port ?? freePort();
  const dataDir = options.dataDir ?? testDataDir();
  const process = await startService({
    permissionSet: "kms",
    entry: "kms/main.ts",
    args: [
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--data",
      dataDir,
      ...(options.args ?? []),
    ],
    net: [`127.0.0.1:${port}`],
  }, { ready: /listening on http/ });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    dataDir,
    process,
    ...testClient((path, init) => fetch(url + path, init)),
    stop: async () => {
      await process.stop();
    },
  };
}

/** {@linkcode TestClient} over any way of sending a request. */
function testClient(
  send: (path: string, init: RequestInit) => Promise<Response>,
): TestClient {
  const call = async (
    path: string,
    init: RequestInit,
  ): Promise<TestResponse> => {
    const response = await send(path, init);
    const text = await response.text();
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON (metrics): the tests read `text`.
    }
    return { status: response.status, body, text, headers: response.headers };
  };
  return {
    post: (path, body, headers) =>
      call(path, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: typeof body === "string" ? body : JSON.stringify(body ?? {}),
      }),
    get: (path, headers) => call(path, { headers }),
  };
}

/** A KMS in memory and its request handler, called without a socket. */
export interface MemoryKms extends TestClient {
  /** The KMS itself. */
  kms: Kms;
  /** Its request handler, as `Deno.serve` would call it. */
  handle: (request: Request) => Promise<Response>;
  /** The audit lines it printed. */
  log: string[];
  /** Enrolls an SAE (or device) and returns its token. */
  enroll(sae: string): string;
}

/**
 * Runs `fn` against a KMS in memory started with `args` (e.g.
 * `--require-auth`), then closes it.
 */
export async function withMemoryKms(
  fn: (kms: MemoryKms) => Promise<void>,
  options: { args?: string[] } = {},
): Promise<void> {
  const log: string[] = [];
  const kms = createKms(parseKmsConfig(options.args ?? [], () => undefined), {
    store: new KmsStore(":memory:"),
    masterKey: await importAesKey(crypto.getRandomValues(new Uint8Array(32))),
    log: (line) => log.push(line),
  });
  const handle = createHandler(kms);
  try {
    await fn({
      kms,
      handle,
      log,
      ...testClient((path, init) =>
        handle(new Request(`http://127.0.0.1:8000${path}`, init))
      ),
      enroll: (sae) => {
        const token = newToken();
        kms.store.enrollSae(sae, tokenHash(token));
        return token;
      },
    });
  } finally {
    closeKms(kms);
  }
}

/** Runs `deno task kms:enroll` for real and returns the printed token. */
export async function enroll(dataDir: string, sae: string): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-P=kms-admin", "kms/enroll.ts", sae],
    cwd: PROJECT_ROOT,
    env: { KMS_DATA: dataDir, NO_COLOR: "1" },
  }).output();
  const out = new TextDecoder().decode(stdout);
  if (code !== 0) {
    throw new Error(`enroll failed: ${new TextDecoder().decode(stderr)}`);
  }
  return out.trim().split("\n").at(-1)!;
}
