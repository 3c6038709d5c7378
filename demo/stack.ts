/**
 * The server side of a QSTCS deployment as three processes: KMS, relay and
 * dashboard, each with its own permission set. Used by `deno task demo`, the
 * tour and the end-to-end test.
 *
 * @module
 */

import {
  PROJECT_ROOT,
  type ServiceProcess,
  type ServiceSpec,
  startService,
} from "./service_process.ts";

/** Ports of the three services. */
export interface StackPorts {
  /** KMS HTTP port. Default 8000. */
  kms: number;
  /** Relay WebSocket port. Default 8765. */
  relay: number;
  /** Dashboard HTTP port. Default 8501. */
  dashboard: number;
}

/** The seeds' ports. */
export const DEFAULT_PORTS: StackPorts = {
  kms: 8000,
  relay: 8765,
  dashboard: 8501,
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
  /** Prefix each service's output with its name and echo it. */
  echo?: boolean;
  /** Called with each command line (and the spec it comes from) before it starts. */
  onCommand?: (name: string, command: string, spec: ServiceSpec) => void;
  /** Run the services in this network namespace (root; the end-to-end test). */
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
  /** Stops every service. */
  stop(): Promise<void>;
}

/** The three service specs for `host` and `ports`. */
export function stackSpecs(
  host: string,
  options: { ports: StackPorts; dataDir: string },
): Record<"kms" | "relay" | "dashboard", ServiceSpec> {
  const { ports, dataDir } = options;
  const local = host === "0.0.0.0" ? "localhost" : host;
  // The permission sets name the default addresses; anything else replaces
  // the set's network list (and the dashboard still needs the KMS).
  const moved = (name: keyof StackPorts) =>
    host !== "0.0.0.0" || ports[name] !== DEFAULT_PORTS[name];
  const kmsAddresses = [
    ...new Set([`${local}:${ports.kms}`, `127.0.0.1:${ports.kms}`]),
  ];
  return {
    kms: {
      permissionSet: "kms",
      entry: "kms/main.ts",
      args: ["--host", host, "--port", String(ports.kms), "--data", dataDir],
      net: moved("kms") ? [`${host}:${ports.kms}`] : undefined,
    },
    relay: {
      permissionSet: "relay",
      entry: "relay/main.ts",
      args: ["--host", host, "--port", String(ports.relay)],
      net: moved("relay") ? [`${host}:${ports.relay}`] : undefined,
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
      ],
      net: moved("dashboard") || moved("kms")
        ? [`${host}:${ports.dashboard}`, ...kmsAddresses]
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

/**
 * Builds the dashboard's islands (the dashboard serves the bundles), then
 * starts the KMS, the relay and the dashboard and waits until each answers.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const host = options.host ?? "0.0.0.0";
  const ports = options.ports ?? DEFAULT_PORTS;
  const { netns, signal } = options;
  const specs = stackSpecs(host, {
    ports,
    dataDir: options.dataDir ?? DEFAULT_DATA_DIR,
  });
  await buildDashboard(signal);
  const started: Partial<Stack["services"]> = {};
  const stop = async () => {
    await Promise.all(Object.values(started).map((s) => s.stop()));
  };
  try {
    for (const name of ["kms", "relay", "dashboard"] as const) {
      options.onCommand?.(name, commandLine(specs[name]), specs[name]);
      started[name] = await startService({ ...specs[name], netns }, {
        ready: READY[name],
        echoPrefix: options.echo ? `[${name}] `.padEnd(12) : undefined,
        signal,
      });
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
    stop,
  };
}

/** `deno run -P=... entry args`, as a person would type it. */
export function commandLine(spec: ServiceSpec): string {
  const net = spec.net ? ` --allow-net=${spec.net.join(",")}` : "";
  return `deno run -P=${spec.permissionSet}${net} ${spec.entry} ${
    (spec.args ?? []).join(" ")
  }`.trim();
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
