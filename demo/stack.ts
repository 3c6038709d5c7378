/**
 * The server side of a QSTCS deployment as three processes: KMS, relay and
 * dashboard, each with its own permission set, secure as shipped: the
 * soldiers' devices and the operator enrolled first (credentials files), the
 * KMS requiring tokens, the relay checking the KMS's tickets with its public
 * key, and the dashboard holding the operator's credential. Used by `deno
 * task demo`, the tour and the end-to-end test.
 *
 * @module
 */

import { errorMessage } from "../common/error_message.ts";
import { delay } from "../common/std.ts";
import {
  PROJECT_ROOT,
  type ServiceProcess,
  type ServiceSpec,
  startService,
} from "../common/service_process.ts";
import { TICKET_PUBLIC_KEY_FILE } from "../protocol/mod.ts";
import { permissionList } from "./permissions.ts";
import * as relayAdmin from "./relay_admin_token.ts";
import {
  credentialsFile,
  DEFAULT_CREDENTIALS_DIR,
  enrollDemo,
  type EnrollOutcome,
  prepareEtsiTls,
} from "./enrollment.ts";

/** Ports of the three services. */
export interface StackPorts {
  /** KMS HTTP port. Default 8000. */
  kms: number;
  /** Relay WebSocket port. Default 8765. */
  relay: number;
  /** Dashboard HTTP port. Default 8501. */
  dashboard: number;
  /** KMS ETSI 014 over mutual TLS port. Default 8443; left out: off. */
  kmsHttps?: number;
}

/** The seeds' ports. */
export const DEFAULT_PORTS: StackPorts = {
  kms: 8000,
  relay: 8765,
  dashboard: 8501,
  kmsHttps: 8443,
};

/** The KMS's data directory unless told otherwise. */
export const DEFAULT_DATA_DIR = "data/kms";

/** Options for {@linkcode startStack}. */
export interface StackOptions {
  /** Listen address. Default 0.0.0.0 (the permission sets' address). */
  host?: string;
  /** Ports. Default {@linkcode DEFAULT_PORTS}. */
  ports?: StackPorts;
  /** KMS data directory. Default {@linkcode DEFAULT_DATA_DIR}. */
  dataDir?: string;
  /** Where the credentials files go. Default `credentials`. */
  credentialsDir?: string;
  /** Called with what enrollment did, before the services start. */
  onEnrolled?: (outcomes: EnrollOutcome[]) => void;
  /** Prefix each service's output with its name and echo it. */
  echo?: boolean;
  /** Called with each command line (and the spec it comes from) before it starts. */
  onCommand?: (name: string, command: string, spec: ServiceSpec) => void;
  /**
   * Run the services in this network namespace (root, and BusyBox for the
   * health probe there; the end-to-end test).
   */
  netns?: string;
  /** Give up starting (and stop what started) when this aborts. */
  signal?: AbortSignal;
}

/** A started stack. */
export interface Stack {
  /** The processes by name. */
  services: Record<"kms" | "relay" | "dashboard", ServiceProcess>;
  /** KMS URL for local use. */
  kmsUrl: string;
  /** Relay URL for local use. */
  relayUrl: string;
  /** Dashboard URL for local use. */
  dashboardUrl: string;
  /** ETSI 014 over mutual TLS for local use, and its PKI folder, if on. */
  etsi?: { url: string; pki: string };
  /** The credentials folder, relative to the project root. */
  credentialsDir: string;
  /** Stops every service. */
  stop(): Promise<void>;
}

/** What {@linkcode stackSpecs} builds the specs from. */
export interface StackSpecOptions {
  /** The ports. */
  ports: StackPorts;
  /** The KMS data directory. */
  dataDir: string;
  /** The credentials folder. */
  credentialsDir: string;
  /** The relay permission set's read list (deno.json), which an override must keep. */
  relayReads: string[];
}

/** The three service specs for `host` and `ports`. */
export function stackSpecs(
  host: string,
  options: StackSpecOptions,
): Record<"kms" | "relay" | "dashboard", ServiceSpec> {
  const { ports, dataDir, credentialsDir } = options;
  const ticketKey = `${dataDir}/${TICKET_PUBLIC_KEY_FILE}`;
  const ticketKeyPath = `./${ticketKey}`;
  const adminToken = `${credentialsDir}/${relayAdmin.RELAY_ADMIN_TOKEN_FILE}`;
  const local = host === "0.0.0.0" ? "localhost" : host;
  const relayAt = `${local}:${ports.relay}`;
  // The permission sets name the default addresses; anything else replaces
  // the set's network list (and the dashboard still needs the KMS).
  const moved = (name: keyof StackPorts) =>
    host !== "0.0.0.0" || ports[name] !== DEFAULT_PORTS[name];
  const https = ports.kmsHttps ?? 0;
  const kmsAddresses = [
    ...new Set([`${local}:${ports.kms}`, `127.0.0.1:${ports.kms}`]),
  ];
  return {
    kms: {
      permissionSet: "kms",
      entry: "kms/main.ts",
      args: ["--host", host, "--port", String(ports.kms), "--data", dataDir]
        .concat("--https-port", String(https)),
      net: moved("kms") || moved("kmsHttps")
        ? [`${host}:${ports.kms}`, ...(https ? [`${host}:${https}`] : [])]
        : undefined,
    },
    relay: {
      permissionSet: "relay",
      entry: "relay/main.ts",
      args: [
        "--host",
        host,
        "--port",
        String(ports.relay),
        "--ticket-key",
        ticketKey,
        "--admin-token-file",
        adminToken,
      ],
      net: moved("relay") ? [`${host}:${ports.relay}`] : undefined,
      read: [
        ...new Set([...options.relayReads, ticketKeyPath, `./${adminToken}`]),
      ],
    },
    dashboard: {
      permissionSet: "dashboard",
      entry: "dashboard/main.ts",
      args: [
        "--host",
        host,
        "--port",
        String(ports.dashboard),
        "--kms",
        `http://${local}:${ports.kms}`,
        "--operator-credentials",
        credentialsFile(credentialsDir, "Operator"),
        "--relay",
        `http://${relayAt}`,
        "--relay-token-file",
        adminToken,
      ],
      net: moved("dashboard") || moved("kms") || moved("relay")
        ? [`${host}:${ports.dashboard}`, ...kmsAddresses, relayAt]
        : undefined,
    },
  };
}

/** Ready lines the services print. */
const READY = {
  kms: /\[KMS\] listening on/,
  relay: /\[RELAY\] listening on/,
  dashboard: /\[DASHBOARD\] listening on/,
};

/** What each service answers with 200 once it really serves. */
// The KMS's /readyz waits for its link's first block (the soldiers' first
// keys come from its pool); the dashboard's view needs a login, and its
// login page answers anyone.
const HEALTH_PATHS = {
  kms: "/readyz",
  relay: "/healthz",
  dashboard: "/login",
};

/** How long a service may take by default to answer after its ready line. */
const HEALTH_TIMEOUT_MS = 5_000;
/**
 * How long each may take: the KMS's first block of 10^6 detections can take
 * seconds of CPU on a loaded machine.
 */
const HEALTH_TIMEOUTS_MS = {
  kms: 30_000,
  relay: HEALTH_TIMEOUT_MS,
  dashboard: HEALTH_TIMEOUT_MS,
};
/** Pause between health probes. */
const HEALTH_RETRY_MS = 200;

/**
 * Builds the dashboard's islands (the dashboard serves the bundles),
 * enrolls the demo's identities where needed, then starts the KMS, the relay
 * and the dashboard and waits until each has said it listens and answers
 * over HTTP.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const host = options.host ?? "0.0.0.0";
  const ports = options.ports ?? DEFAULT_PORTS;
  const { netns, signal } = options;
  const dataDir = options.dataDir ?? DEFAULT_DATA_DIR;
  const credentialsDir = options.credentialsDir ?? DEFAULT_CREDENTIALS_DIR;
  const config = await Deno.readTextFile(`${PROJECT_ROOT}deno.json`);
  const specs = stackSpecs(host, {
    ports,
    dataDir,
    credentialsDir,
    relayReads: permissionList(config, "relay", "read"),
  });
  await buildDashboard(signal);
  // Awaited before the optional call: `f?.(await x)` skips `x` without `f`.
  const enrolled = await enrollDemo({ dataDir, credentialsDir, signal });
  options.onEnrolled?.(enrolled);
  await relayAdmin.ensureRelayAdminToken(credentialsDir);
  const pki = ports.kmsHttps
    ? await prepareEtsiTls({ dataDir, signal })
    : undefined;
  const started: Partial<Stack["services"]> = {};
  const stop = async () => {
    await Promise.all(Object.values(started).map((s) => s.stop()));
  };
  // A service on 0.0.0.0 answers on the loopback address of its namespace.
  const probeHost = host === "0.0.0.0" ? "127.0.0.1" : host;
  try {
    for (const name of ["kms", "relay", "dashboard"] as const) {
      options.onCommand?.(name, commandLine(specs[name]), specs[name]);
      const service = await startService({ ...specs[name], netns }, {
        ready: READY[name],
        echoPrefix: options.echo ? `[${name}] `.padEnd(12) : undefined,
        signal,
      });
      started[name] = service;
      await waitUntilAnswering(
        name,
        service,
        `http://${probeHost}:${ports[name]}${HEALTH_PATHS[name]}`,
        { netns, signal, timeoutMs: HEALTH_TIMEOUTS_MS[name] },
      );
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const local = host === "0.0.0.0" ? "localhost" : host;
  return {
    services: started as Stack["services"],
    kmsUrl: `http://${local}:${ports.kms}`,
    relayUrl: `ws://${local}:${ports.relay}`,
    dashboardUrl: `http://${local}:${ports.dashboard}`,
    etsi: pki === undefined ? undefined : {
      url: `https://${local}:${ports.kmsHttps}/api/v1/keys/`,
      pki,
    },
    credentialsDir,
    stop,
  };
}

/** `deno run -P=... entry args`, as a person would type it. */
export function commandLine(spec: ServiceSpec): string {
  const net = spec.net ? ` --allow-net=${spec.net.join(",")}` : "";
  const read = spec.read ? ` --allow-read=${spec.read.join(",")}` : "";
  return `deno run -P=${spec.permissionSet}${net}${read} ${spec.entry} ${
    (spec.args ?? []).join(" ")
  }`.trim();
}

/** Options for {@linkcode waitUntilAnswering}. */
export interface AnswerOptions {
  /** The service runs in this network namespace. */
  netns?: string;
  /** Stop probing when this aborts. */
  signal?: AbortSignal;
  /** Give up after this long. Default 5 s. */
  timeoutMs?: number;
}

/**
 * Probes `url` until it answers 200, for a service that printed its ready
 * line: a line says the socket is bound, not that requests are served.
 * Fails with the service's last lines if it never answers or exits.
 *
 * @example
 * ```ts ignore
 * import { waitUntilAnswering } from "./stack.ts";
 * await waitUntilAnswering("relay", relay, "http://127.0.0.1:8765/healthz");
 * ```
 */
export async function waitUntilAnswering(
  name: string,
  service: ServiceProcess,
  url: string,
  options: AnswerOptions = {},
): Promise<void> {
  const { netns, signal, timeoutMs = HEALTH_TIMEOUT_MS } = options;
  if (
    !netns &&
    Deno.permissions.querySync({ name: "net", host: new URL(url).host })
        .state !== "granted"
  ) {
    // The "demo" set may reach only loopback; a service on another --host
    // is taken at its ready line rather than prompting for more.
    return;
  }
  let exited = false;
  service.exited.then(() => {
    exited = true;
  });
  const deadline = Date.now() + timeoutMs;
  let problem = "no answer";
  while (!exited && Date.now() < deadline) {
    signal?.throwIfAborted();
    problem = netns ? await probeInNamespace(netns, url) : await probe(url);
    if (!problem) return;
    await delay(HEALTH_RETRY_MS, { signal });
  }
  const why = exited
    ? `exited before answering ${url}`
    : `did not answer ${url} within ${timeoutMs} ms (${problem})`;
  throw new Error(
    `${name} said it listens but ${why}; its last lines:\n${service.tail()}`,
  );
}

/** GETs `url`; an empty string if it answered 200, else what went wrong. */
async function probe(url: string): Promise<string> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await response.body?.cancel();
    return response.ok ? "" : `HTTP ${response.status}`;
  } catch (error) {
    return errorMessage(error);
  }
}

/**
 * {@linkcode probe} from inside network namespace `netns`, where this
 * process cannot connect: BusyBox wget there. Debian's BusyBox wget crashes
 * on `-T`, so the `timeout` applet bounds it.
 */
async function probeInNamespace(netns: string, url: string): Promise<string> {
  const { code, stderr } = await new Deno.Command("ip", {
    args: [
      "netns",
      "exec",
      netns,
      "busybox",
      "timeout",
      "2",
      "busybox",
      "wget",
      "-q",
      "-O",
      "/dev/null",
      url,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  return code === 0
    ? ""
    : new TextDecoder().decode(stderr).trim() || `wget exit code ${code}`;
}

/** Runs the dashboard's island build and fails with its output if it fails. */
export async function buildDashboard(signal?: AbortSignal): Promise<void> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "dashboard:build"],
    cwd: PROJECT_ROOT,
    env: { NO_COLOR: "1" },
    signal,
  }).output();
  signal?.throwIfAborted();
  if (code !== 0) {
    const decode = (b: Uint8Array) => new TextDecoder().decode(b);
    throw new Error(
      `dashboard build failed:\n${decode(stdout)}${decode(stderr)}`,
    );
  }
}
