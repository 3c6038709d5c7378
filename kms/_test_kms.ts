/**
 * Test helper: a real KMS process on a free loopback port with a fresh data
 * directory under data/ (the only place its permission set may write).
 *
 * @module
 */

import {
  freePort,
  PROJECT_ROOT,
  type ServiceProcess,
  startService,
} from "../common/service_process.ts";
import type { LinkReport, Role } from "../protocol/mod.ts";
import { delay } from "../common/std.ts";

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

/**
 * The link flags of a test KMS unless it names its own: blocks of 10^5
 * detections (about 12 000 secret bits each) for speed, and a pool of 2 Mbit
 * (8192 keys), which fills within seconds; a full pool's blocks are measured
 * only, so the suite's KMS processes do not each keep a core busy.
 */
export const TEST_LINK_ARGS: readonly string[] = [
  "--block-size",
  "100000",
  "--pool-capacity-bits",
  "2097152",
];

/**
 * Starts the KMS with its permission set ("kms"), only the port overridden,
 * secure as shipped: bearer tokens required, operator endpoints for
 * operators only. `options.open` adds `--open` (the seeds' open mode) for
 * the tests that rely on it, which say so. The link runs
 * {@linkcode TEST_LINK_ARGS} unless `options.linkArgs` says otherwise, and
 * the KMS is returned once its pool holds at least `options.poolBits`
 * (default 256; 0 returns at once).
 */
export async function startKms(
  options: {
    dataDir?: string;
    args?: string[];
    linkArgs?: readonly string[];
    poolBits?: number;
    port?: number;
    open?: boolean;
    openFilesLimit?: number;
    /** Serve ETSI 014 over mutual TLS on this port (certificates in DATA/pki). */
    httpsPort?: number;
  } = {},
): Promise<TestKms> {
  const port = options.port ?? freePort();
  const dataDir = options.dataDir ?? testDataDir();
  const args = [...options.linkArgs ?? TEST_LINK_ARGS, ...options.args ?? []];
  const open = options.open ?? false;
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
      ...(open ? ["--open"] : []),
      ...(options.httpsPort ? ["--https-port", String(options.httpsPort)] : []),
      ...args,
    ],
    net: [
      `127.0.0.1:${port}`,
      ...(options.httpsPort ? [`127.0.0.1:${options.httpsPort}`] : []),
    ],
    openFilesLimit: options.openFilesLimit,
  }, { ready: /listening on http/ });
  const url = `http://127.0.0.1:${port}`;
  const kms: TestKms = {
    url,
    dataDir,
    process,
    ...testClient((path, init) => fetch(url + path, init)),
    stop: async () => {
      await process.stop();
    },
  };
  const poolBits = options.poolBits ?? 256;
  if (poolBits > 0) {
    // A KMS restarted RED or under attack adds nothing: its first block will do.
    await waitForPool(kms, { bits: poolBits, orBlocked: true }).catch(
      async (error) => {
        await kms.stop();
        throw error;
      },
    );
  }
  return kms;
}

/**
 * Resolves once `/link_status` shows at least `options.bits` in the pool (or,
 * with `options.orBlocked`, a block of a link that adds none: RED or
 * attacked); rejects after `options.timeoutMs` (default 60 s).
 */
export async function waitForPool(
  client: TestClient,
  options: { bits: number; orBlocked?: boolean; timeoutMs?: number },
): Promise<LinkReport> {
  const end = Date.now() + (options.timeoutMs ?? 60_000);
  while (true) {
    const { body } = await client.get("/link_status");
    const link = body.link as LinkReport | undefined;
    if (link && link.pool_bits >= options.bits) return link;
    const blocked = body.status === "RED" || link?.eve !== "none";
    if (link && options.orBlocked && link.blocks > 0 && blocked) return link;
    if (Date.now() > end) {
      throw new Error(
        `the pool held ${link?.pool_bits} bits, not ${options.bits}, in time`,
      );
    }
    await delay(100);
  }
}

/** {@linkcode TestClient} over any way of sending a request. */
export function testClient(
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

/**
 * Runs `deno task kms:enroll` for real (with `options.args`, e.g.
 * `--role operator`) and returns the printed token.
 */
export async function enroll(
  dataDir: string,
  sae: string,
  options: { args?: string[] } = {},
): Promise<string> {
  const out = await runEnroll(dataDir, [...options.args ?? [], sae]);
  return out.trim().split("\n").at(-1)!;
}

/**
 * Runs `deno task kms:enroll NAME --role ROLE --credentials FILE` for real,
 * as the demo does: the token goes into FILE (relative to the project root,
 * under `credentials/`, the only folder kms-admin may write besides data/).
 */
export async function enrollCredentials(
  dataDir: string,
  name: string,
  options: { file: string; role?: Role },
): Promise<void> {
  await runEnroll(dataDir, [
    name,
    "--role",
    options.role ?? "device",
    "--credentials",
    options.file,
  ]);
}

async function runEnroll(dataDir: string, args: string[]): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "-P=kms-admin", "kms/enroll.ts", ...args],
    cwd: PROJECT_ROOT,
    env: { KMS_DATA: dataDir, NO_COLOR: "1" },
  }).output();
  if (code !== 0) {
    throw new Error(`enroll failed: ${new TextDecoder().decode(stderr)}`);
  }
  return new TextDecoder().decode(stdout);
}

/**
 * `options.count` pair keys for `options.device` (with Soldier_Bravo as its
 * peer) on its token, one after another, each answered 200.
 */
export async function requestKeys(
  client: TestClient,
  options: { device: string; token: string; count: number },
): Promise<void> {
  for (let i = 0; i < options.count; i++) {
    const key = await client.post("/get_session_key", {
      device_id: options.device,
      peer_id: "Soldier_Bravo",
    }, { authorization: `Bearer ${options.token}` });
    if (key.status !== 200) {
      throw new Error(`key request ${i + 1} answered ${key.status}`);
    }
  }
}
