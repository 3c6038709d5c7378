/**
 * A network-namespace lab for the router guard and end-to-end tests: builds a
 * LAN hosts — router — server topology out of Linux network namespaces and
 * veth pairs, and runs commands and {@linkcode NsAgent} helpers inside it.
 *
 * Everything stays inside namespaces created here (private 10.231.x.0/24
 * subnets on our own veths); nothing is sent to any other address.
 *
 * @module
 */

import { TextLineStream } from "../common/std.ts";
import type { AgentReply, AgentRequest } from "./ns_agent.ts";

/** Result of {@linkcode run}. */
export interface RunResult {
  /** Exit code. */
  code: number;
  /** Captured stdout. */
  stdout: string;
  /** Captured stderr. */
  stderr: string;
}

/** Runs a command to completion; throws if it fails and `check` is set. */
export async function run(
  cmd: string,
  args: string[],
  check = true,
): Promise<RunResult> {
  const out = await new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const result = {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
  if (check && out.code !== 0) {
    throw new Error(
      `${cmd} ${args.join(" ")} exited ${out.code}: ${result.stderr.trim()}`,
    );
  }
  return result;
}

/** Finds an executable in PATH or the usual sbin directories. */
export function findTool(name: string): string | undefined {
  const dirs = (Deno.env.get("PATH") ?? "").split(":").concat([
    "/usr/local/sbin",
    "/usr/sbin",
    "/sbin",
    "/usr/bin",
    "/bin",
  ]);
  for (const dir of dirs) {
    if (!dir) continue;
    const path = `${dir}/${name}`;
    try {
      const info = Deno.statSync(path);
      if (info.isFile && ((info.mode ?? 0) & 0o111)) return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * Checks that this process can run the namespace tests: root, `ip`,
 * `busybox`, each of `extraTools`, and `ip netns add` actually working.
 * Returns a reason when it cannot, or undefined when it can.
 */
export async function missingPrerequisite(
  extraTools: string[] = [],
): Promise<string | undefined> {
  if (Deno.build.os !== "linux") return "network namespaces need Linux";
  if (Deno.uid() !== 0) {
    return "needs root (network namespaces and iptables)";
  }
  for (const tool of ["ip", "busybox", ...extraTools]) {
    if (!findTool(tool)) return `'${tool}' not found (apt-get install ${tool})`;
  }
  const probe = `qgprobe${Deno.pid}`;
  const added = await run(findTool("ip")!, ["netns", "add", probe], false);
  if (added.code !== 0) {
    return `cannot create a network namespace: ${added.stderr.trim()}`;
  }
  await run(findTool("ip")!, ["netns", "del", probe], false);
  return undefined;
}

let topologyCounter = 0;

/** Addresses used inside the namespaces of a {@linkcode Topology}. */
export const ADDR = {
  /** The client, behind the router. */
  client: "10.231.1.2",
  /** The router's address on the client side. */
  routerClientSide: "10.231.1.1",
  /** The router's address on the server side. */
  routerServerSide: "10.231.2.1",
  /** The server (KMS status + chat + other port). */
  server: "10.231.2.2",
} as const;

/** A machine on the router's LAN side. */
export interface LanHost {
  /** Its namespace. */
  ns: string;
  /** Its address (10.231.1.x). */
  address: string;
}

/** Namespaces wired LAN hosts — router — server. */
export interface Topology {
  /** Namespace of the first LAN machine ("client"). */
  client: string;
  /** Every LAN machine by name, in the order asked for. */
  lan: Record<string, LanHost>;
  /** Namespace of the router (IPv4 forwarding on). */
  router: string;
  /** Namespace of the server machine. */
  server: string;
  /** Deletes the namespaces (and with them their veths and iptables rules). */
  destroy(): Promise<void>;
}

/**
 * Creates namespaces with names unique to this process and call: one per LAN
 * host (default just `client`, 10.231.1.2; more get .3, .4, ...) on a bridge
 * in the `router` namespace (10.231.1.1 / 10.231.2.1, forwarding on), and the
 * `server` (10.231.2.2); each with loopback up and a default route through the
 * router. On failure the namespaces created so far are deleted.
 */
export async function createTopology(
  options: { lan?: string[] } = {},
): Promise<Topology> {
  const ip = findTool("ip")!;
  const lanNames = options.lan ?? ["client"];
  const tag = `qg${Deno.pid}x${++topologyCounter}`;
  const router = `${tag}r`;
  const server = `${tag}s`;
  const lan: Record<string, LanHost> = {};
  lanNames.forEach((name, i) => {
    lan[name] = {
      ns: `${tag}${name.slice(0, 5)}${i}`,
      address: `10.231.1.${2 + i}`,
    };
  });
  const created: string[] = [];
  const destroy = async () => {
    for (const ns of created) {
      // Processes we started inside the namespace (guards, agents, their
      // children) go first; then the namespace, its veths and its rules.
      const pids = await run(ip, ["netns", "pids", ns], false);
      for (const pid of pids.stdout.split("\n").filter(Boolean)) {
        try {
          Deno.kill(Number(pid), "SIGKILL");
        } catch {
          // already gone
        }
      }
      await run(ip, ["netns", "del", ns], false);
    }
  };
  const inNs = (ns: string, ...args: string[]) => run(ip, ["-n", ns, ...args]);
  try {
    for (const ns of [...Object.values(lan).map((h) => h.ns), router, server]) {
      await run(ip, ["netns", "add", ns]);
      created.push(ns);
      await inNs(ns, "link", "set", "lo", "up");
    }
    // veth ends are created directly inside the namespaces, so their names
    // only need to be unique per namespace.
    await inNs(router, "link", "add", "br0", "type", "bridge");
    await inNs(
      router,
      "addr",
      "add",
      `${ADDR.routerClientSide}/24`,
      "dev",
      "br0",
    );
    await inNs(router, "link", "set", "br0", "up");
    // A veth from `host`'s eth0 to `side` in the router, where `attach` (ip
    // arguments) hooks `side` up; then `host` is addressed and routed via
    // `gateway`.
    const cable = async (
      host: LanHost,
      options: { side: string; attach: string[]; gateway: string },
    ) => {
      const { side, attach, gateway } = options;
      await inNs(
        host.ns,
        "link",
        "add",
        "eth0",
        "type",
        "veth",
        "peer",
        "name",
        side,
        "netns",
        router,
      );
      await inNs(router, ...attach);
      await inNs(router, "link", "set", side, "up");
      await inNs(host.ns, "addr", "add", `${host.address}/24`, "dev", "eth0");
      await inNs(host.ns, "link", "set", "eth0", "up");
      await inNs(host.ns, "route", "add", "default", "via", gateway);
    };
    let port = 0;
    for (const host of Object.values(lan)) {
      const side = `lan${port++}`;
      await cable(host, {
        side,
        attach: ["link", "set", side, "master", "br0"],
        gateway: ADDR.routerClientSide,
      });
    }
    await cable({ ns: server, address: ADDR.server }, {
      side: "srv0",
      attach: ["addr", "add", `${ADDR.routerServerSide}/24`, "dev", "srv0"],
      gateway: ADDR.routerServerSide,
    });
    await run(ip, [
      "netns",
      "exec",
      router,
      findTool("busybox")!,
      "sysctl",
      "-w",
      "net.ipv4.ip_forward=1",
    ]);
  } catch (err) {
    await destroy();
    throw err;
  }
  return { client: Object.values(lan)[0].ns, lan, router, server, destroy };
}

/** Runs `cmd args` inside namespace `ns` and returns its result. */
export function nsRun(
  ns: string,
  cmd: string,
  args: string[],
  check = true,
): Promise<RunResult> {
  return run(findTool("ip")!, ["netns", "exec", ns, cmd, ...args], check);
}

/**
 * A running `testing/ns_agent.ts` inside a namespace; send it requests with
 * {@linkcode NsAgent.call}.
 */
export class NsAgent {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #waiting = new Map<number, (reply: AgentReply) => void>();
  #nextId = 1;
  #ready: Promise<void>;
  #closed = false;

  private constructor(ns: string) {
    const agent = new URL("./ns_agent.ts", import.meta.url).pathname;
    const child = new Deno.Command(findTool("ip")!, {
      args: [
        "netns",
        "exec",
        ns,
        Deno.execPath(),
        "run",
        "--quiet",
        "--no-config",
        "--allow-net",
        agent,
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#child = child;
    this.#writer = child.stdin.getWriter();
    let resolveReady!: () => void;
    this.#ready = new Promise((r) => resolveReady = r);
    (async () => {
      const lines = child.stdout.pipeThrough(new TextDecoderStream())
        .pipeThrough(new TextLineStream());
      for await (const line of lines) {
        const msg = JSON.parse(line) as AgentReply;
        if (msg.ready) resolveReady();
        this.#waiting.get(msg.id)?.(msg);
        this.#waiting.delete(msg.id);
      }
    })();
  }

  /** Starts an agent in namespace `ns` and waits until it is ready. */
  static async start(ns: string): Promise<NsAgent> {
    const agent = new NsAgent(ns);
    const exited = agent.#child.status.then((s) => {
      throw new Error(`ns_agent in ${ns} exited early (${s.code})`);
    });
    await Promise.race([agent.#ready, exited]);
    exited.catch(() => {});
    return agent;
  }

  /** Sends a request and returns the reply; throws if `ok` is false. */
  async call(req: DistributiveOmit<AgentRequest, "id">): Promise<AgentReply> {
    const id = this.#nextId++;
    const reply = new Promise<AgentReply>((resolve) =>
      this.#waiting.set(id, resolve)
    );
    await this.#writer.write(
      new TextEncoder().encode(JSON.stringify({ ...req, id }) + "\n"),
    );
    const msg = await reply;
    if (!msg.ok) throw new Error(`agent ${req.op}: ${msg.error}`);
    return msg;
  }

  /** Closes stdin (the agent exits) and waits for the process. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.#writer.close();
    } catch {
      // already gone
    }
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // already exited
    }
    await this.#child.status;
  }
}

/** `Omit` applied to each member of a union. */
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown
  ? Omit<T, K>
  : never;
