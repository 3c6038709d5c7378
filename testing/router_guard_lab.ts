/**
 * The router guard's test lab: a client — router — server topology (see
 * `netns.ts`) with a stand-in KMS and TCP echo servers in the server
 * namespace, a probing agent in the client namespace, and guards started in
 * the router namespace; plus the probes and assertions the guard tests share.
 *
 * @module
 */

import { assert, assertEquals, assertMatch } from "@std/assert";
import {
  ADDR,
  createTopology,
  findTool,
  missingPrerequisite,
  NsAgent,
  nsRun,
  type Topology,
} from "./netns.ts";
import {
  type GuardBin,
  GuardProcess,
  makeGuardBin,
} from "./router_guard_process.ts";
import { skipUnless } from "./skip.ts";
import { waitUntil } from "./wait.ts";

/** The chat port the guard blocks (the relay's); echoed in the server. */
export const CHAT_PORT = 8765;
/** A port the guard must leave alone; echoed in the server too. */
export const OTHER_PORT = 9000;
const KMS_PORT = 8000;
/** The lab guards' `POLL_INTERVAL`, in seconds. */
export const POLL_INTERVAL = 1;
/** The functional deadline: a status change is enforced within this. */
export const ENFORCE_MS = (POLL_INTERVAL + 2) * 1000;
/** Per-attempt connect/echo timeout of the probes. */
const PROBE_MS = 500;

/** One test's namespaces, helper processes and guards. */
export interface Lab {
  /** The namespaces. */
  topo: Topology;
  /** Agent in the server namespace: the stand-in KMS and the echo servers. */
  server: NsAgent;
  /** Agent in the client namespace that probes the server's ports. */
  client: NsAgent;
  /** The guards' whole PATH, with its call trace. */
  bin: GuardBin;
  /** iptables command the guard uses (name of a shim in bin). */
  iptables: string;
  /** Every guard started so far; all are killed at teardown. */
  guards: GuardProcess[];
  /**
   * Starts a guard in the router namespace against the lab's KMS, chat port
   * and POLL_INTERVAL, with `env` added or overriding.
   */
  startGuard(env?: Record<string, string>): GuardProcess;
}

/**
 * Runs `fn` with a fresh lab, tearing everything down afterwards. Returns
 * without running `fn` (loudly; or throws in CI) when the host cannot run it.
 */
export async function withLab(
  name: string,
  options: { iptables?: string; tools?: string[] },
  fn: (lab: Lab) => Promise<void>,
): Promise<void> {
  const iptables = options.iptables ?? "iptables";
  const reason = await missingPrerequisite([iptables, ...options.tools ?? []]);
  if (skipUnless(name, reason)) return;
  const cleanups: (() => Promise<unknown>)[] = [];
  const guards: GuardProcess[] = [];
  try {
    const topo = await createTopology();
    cleanups.push(() => topo.destroy());
    const bin = await makeGuardBin([iptables]);
    cleanups.push(() => bin.remove());
    const server = await NsAgent.start(topo.server);
    cleanups.push(() => server.close());
    const client = await NsAgent.start(topo.client);
    cleanups.push(() => client.close());
    await server.call({
      op: "status_start",
      hostname: ADDR.server,
      port: KMS_PORT,
    });
    for (const port of [CHAT_PORT, OTHER_PORT]) {
      await server.call({ op: "echo_start", hostname: ADDR.server, port });
    }
    cleanups.push(async () => {
      for (const g of guards) await g.stop("SIGKILL");
    });
    const lab: Lab = {
      topo,
      server,
      client,
      bin,
      iptables,
      guards,
      startGuard(env = {}) {
        const guard = new GuardProcess(topo.router, bin, {
          KMS_HOST: ADDR.server,
          KMS_PORT: String(KMS_PORT),
          CHAT_PORT: String(CHAT_PORT),
          POLL_INTERVAL: String(POLL_INTERVAL),
          WGET_TIMEOUT: "1",
          IPTABLES: iptables,
          ...env,
        });
        guards.push(guard);
        return guard;
      },
    };
    await fn(lab);
    for (const g of guards) {
      if (Deno.env.get("GUARD_LOG")) console.log(g.transcript());
      assertEquals(g.errors, [], `guard wrote to stderr:\n${g.transcript()}`);
      for (const line of g.lines) {
        assertMatch(
          line,
          /^\[GUARD\] \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \| \S/,
        );
      }
    }
  } finally {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch((err) => console.error("cleanup:", err));
    }
  }
}

/** Sets what the status server answers. */
export async function setStatus(
  lab: Lab,
  status: "GREEN" | "YELLOW" | "RED",
  format: "compact" | "spaced" = "compact",
): Promise<void> {
  await lab.server.call({ op: "status_set", status, format });
}

/** One new TCP connection from client to server:port with an echo check. */
export async function probe(lab: Lab, port: number): Promise<boolean> {
  const r = await lab.client.call({
    op: "probe",
    hostname: ADDR.server,
    port,
    timeoutMs: PROBE_MS,
  });
  return r.reachable === true;
}

/** Opens the long-lived connection "chat" from the client to the chat port. */
export async function openChatStream(lab: Lab): Promise<void> {
  const opened = await lab.client.call({
    op: "open",
    stream: "chat",
    hostname: ADDR.server,
    port: CHAT_PORT,
    timeoutMs: PROBE_MS,
  });
  assert(opened.reachable, `open 8765 stream: ${opened.detail}`);
}

/** Sends on an established stream and checks the echo. */
async function streamDelivers(
  lab: Lab,
  stream: string,
): Promise<boolean> {
  const r = await lab.client.call({ op: "send", stream, timeoutMs: PROBE_MS });
  return r.reachable === true;
}

/**
 * Retries `check` until it returns true; throws if it has not by `deadline`
 * (epoch ms), with the guard's log. An attempt that starts before the
 * deadline counts.
 */
function until(
  what: string,
  deadline: number,
  check: () => Promise<boolean>,
  guard?: GuardProcess,
): Promise<void> {
  const described = () =>
    guard ? `${what}\nguard log:\n${guard.transcript()}` : what;
  // Each check is a probe through the lab's namespaces: ten a second at most.
  return waitUntil(check, described, {
    timeoutMs: Math.max(0, deadline - Date.now()),
    intervalMs: 100,
  });
}

/** Counts the guard's DROP rules (`dport`, `sport`) in the router's FORWARD. */
export async function countRules(
  lab: Lab,
): Promise<{ dport: number; sport: number }> {
  const out = await nsRun(lab.topo.router, findTool(lab.iptables)!, [
    "-S",
    "FORWARD",
  ]);
  const lines = out.stdout.split("\n");
  const count = (dir: string) =>
    lines.filter((l) =>
      new RegExp(`-p tcp .*--${dir} ${CHAT_PORT} -j DROP$`).test(l)
    ).length;
  return { dport: count("dport"), sport: count("sport") };
}

/** Lines of the shim trace (`wget ...`, `iptables ...`). */
export async function trace(lab: Lab): Promise<string[]> {
  return (await Deno.readTextFile(lab.bin.trace)).split("\n").filter(Boolean);
}

/** The KMS polls in a trace (excluding the `wget --help` feature probe). */
export function polls(lines: string[]): string[] {
  return lines.filter((l) =>
    l.startsWith("wget ") && l.includes("/link_status")
  );
}

/** iptables calls that change rules (-I / -D) in a trace. */
export function ruleChanges(lab: Lab, lines: string[]): string[] {
  return lines.filter((l) =>
    l.startsWith(`${lab.iptables} `) && / -[ID] /.test(l)
  );
}

/** Waits until the status server has answered `n` more polls. */
export async function waitForHits(lab: Lab, n: number): Promise<void> {
  const start = (await lab.server.call({ op: "status_hits" })).hits!;
  await until(
    `${n} more polls`,
    Date.now() + (n + 3) * POLL_INTERVAL * 1000,
    async () =>
      (await lab.server.call({ op: "status_hits" })).hits! >= start + n,
  );
}

/** Waits until the guard has attempted `n` more polls (from the trace). */
export async function waitForPolls(
  lab: Lab,
  n: number,
  timeoutMs: number,
): Promise<void> {
  const start = polls(await trace(lab)).length;
  await until(
    `${n} more poll attempts`,
    Date.now() + timeoutMs,
    async () => polls(await trace(lab)).length >= start + n,
  );
}

/** Asserts RED enforcement: new + established 8765 fail, other port works. */
export async function assertBlockedWithin(
  lab: Lab,
  deadline: number,
  guard: GuardProcess,
  stream?: string,
): Promise<void> {
  await Promise.all([
    until(
      "new 8765 connections fail",
      deadline,
      async () => !await probe(lab, CHAT_PORT),
      guard,
    ),
    stream
      ? until(
        "established 8765 stream stops delivering",
        deadline,
        async () => !await streamDelivers(lab, stream),
        guard,
      )
      : Promise.resolve(),
  ]);
  assert(await probe(lab, OTHER_PORT), `port ${OTHER_PORT} must still work`);
  assertEquals(await countRules(lab), { dport: 1, sport: 1 });
}

/** Asserts GREEN: 8765 reachable within the deadline, no rules left. */
export async function assertAllowedWithin(
  lab: Lab,
  deadline: number,
  guard: GuardProcess,
): Promise<void> {
  await until("8765 works again", deadline, () => probe(lab, CHAT_PORT), guard);
  assert(await probe(lab, OTHER_PORT));
  assertEquals(await countRules(lab), { dport: 0, sport: 0 });
}
