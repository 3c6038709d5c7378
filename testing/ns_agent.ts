/**
 * A helper process the router guard tests start inside a network namespace
 * (`ip netns exec NS deno run --no-config --allow-net testing/ns_agent.ts`),
 * because a Deno process cannot enter a namespace itself. It reads one JSON
 * request per line on stdin and writes one JSON reply per line on stdout; see
 * {@linkcode AgentRequest}. It exits when stdin closes.
 *
 * It runs without deno.json, so it and what it imports use no import map.
 *
 * @module
 */

import {
  type AnswerFormat,
  isLinkStatus,
  LinkStatusServer,
} from "./link_status_server.ts";
import { readLines } from "./read_lines.ts";

/** A request to the agent; `id` is echoed in the reply. */
export type AgentRequest =
  & { id: number }
  & (
    /** Serve `/link_status` on hostname:port. */
    | { op: "status_start"; hostname: string; port: number }
    /** Change the served status and/or answer format. */
    | { op: "status_set"; status?: string; format?: AnswerFormat }
    /** Stop listening (connection refused) / listen again. */
    | { op: "status_down" }
    | { op: "status_up" }
    /** Number of `/link_status` requests answered so far. */
    | { op: "status_hits" }
    /** Run a TCP echo server on hostname:port. */
    | { op: "echo_start"; hostname: string; port: number }
    /** Open a new connection, send a token, wait for its echo. */
    | { op: "probe"; hostname: string; port: number; timeoutMs: number }
    /** Open a long-lived connection named `stream`. */
    | {
      op: "open";
      stream: string;
      hostname: string;
      port: number;
      timeoutMs: number;
    }
    /** Send a token on `stream` and wait for its echo. */
    | { op: "send"; stream: string; timeoutMs: number }
  );

/** The agent's reply: `ok` plus op-specific fields, or an error. */
export interface AgentReply {
  /** The request's id (0 for the initial `{ready:true}` line). */
  id: number;
  /** False if the request itself failed (bad op, bind error, ...). */
  ok: boolean;
  /** Error message when `ok` is false. */
  error?: string;
  /** `probe`/`open`/`send`: whether the echo came back in time. */
  reachable?: boolean;
  /** `probe`/`open`/`send`: what happened. */
  detail?: string;
  /** `status_hits`: requests answered. */
  hits?: number;
  /** First line only. */
  ready?: boolean;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
let tokenCounter = 0;

interface Stream {
  conn: Deno.TcpConn;
  received: string;
}

const streams = new Map<string, Stream>();
let statusServer: LinkStatusServer | undefined;
const listeners: Deno.TcpListener[] = [];

function reply(message: AgentReply): void {
  Deno.stdout.writeSync(encoder.encode(JSON.stringify(message) + "\n"));
}

async function echoServe(listener: Deno.TcpListener): Promise<void> {
  for await (const conn of listener) {
    (async () => {
      try {
        const buf = new Uint8Array(4096);
        while (true) {
          const n = await conn.read(buf);
          if (n === null) break;
          await conn.write(buf.subarray(0, n));
        }
      } catch {
        // connection reset: nothing to do
      } finally {
        try {
          conn.close();
        } catch { /* already closed */ }
      }
    })();
  }
}

/**
 * Connects with a deadline and starts collecting what comes back; no stream
 * on timeout or error.
 */
async function connect(
  target: { hostname: string; port: number; timeoutMs: number },
): Promise<{ stream?: Stream; detail: string }> {
  const { hostname, port, timeoutMs } = target;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const conn = await Deno.connect({
      hostname,
      port,
      signal: controller.signal,
    });
    const stream: Stream = { conn, received: "" };
    startReader(stream);
    return { stream, detail: "connected" };
  } catch (err) {
    return {
      detail: controller.signal.aborted
        ? `connect timed out after ${timeoutMs} ms`
        : `connect failed: ${(err as Error).message}`,
    };
  } finally {
    clearTimeout(timer);
  }
}

function startReader(stream: Stream): void {
  (async () => {
    const buf = new Uint8Array(4096);
    try {
      while (true) {
        const n = await stream.conn.read(buf);
        if (n === null) break;
        stream.received += decoder.decode(buf.subarray(0, n));
      }
    } catch {
      // reset or closed
    }
  })();
}

/** Sends a fresh token on `stream` and waits until it is echoed back. */
async function roundTrip(
  stream: Stream,
  timeoutMs: number,
): Promise<{ reachable: boolean; detail: string }> {
  const token = `tok-${Deno.pid}-${++tokenCounter}`;
  try {
    await stream.conn.write(encoder.encode(token + "\n"));
  } catch (err) {
    return { reachable: false, detail: `write failed: ${err}` };
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (stream.received.includes(token)) {
      return { reachable: true, detail: "echoed" };
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { reachable: false, detail: `no echo within ${timeoutMs} ms` };
}

async function handle(req: AgentRequest): Promise<AgentReply> {
  switch (req.op) {
    case "status_start":
      statusServer = new LinkStatusServer({
        hostname: req.hostname,
        port: req.port,
      });
      statusServer.up();
      return { id: req.id, ok: true };
    case "status_set":
      if (!statusServer) throw new Error("status server not started");
      if (req.status !== undefined) {
        if (!isLinkStatus(req.status)) throw new Error(`bad ${req.status}`);
        statusServer.status = req.status;
      }
      if (req.format !== undefined) statusServer.format = req.format;
      return { id: req.id, ok: true };
    case "status_down":
      await statusServer?.down();
      return { id: req.id, ok: true };
    case "status_up":
      statusServer?.up();
      return { id: req.id, ok: true };
    case "status_hits":
      return { id: req.id, ok: true, hits: statusServer?.hits ?? 0 };
    case "echo_start": {
      const listener = Deno.listen({ hostname: req.hostname, port: req.port });
      listeners.push(listener);
      echoServe(listener).catch(() => {});
      return { id: req.id, ok: true };
    }
    case "probe": {
      const { stream, detail } = await connect(req);
      if (!stream) return { id: req.id, ok: true, reachable: false, detail };
      const result = await roundTrip(stream, req.timeoutMs);
      try {
        stream.conn.close();
      } catch { /* closed */ }
      return { id: req.id, ok: true, ...result };
    }
    case "open": {
      const { stream, detail } = await connect(req);
      if (!stream) return { id: req.id, ok: true, reachable: false, detail };
      streams.set(req.stream, stream);
      return {
        id: req.id,
        ok: true,
        ...await roundTrip(stream, req.timeoutMs),
      };
    }
    case "send": {
      const stream = streams.get(req.stream);
      if (!stream) throw new Error(`no stream ${req.stream}`);
      return {
        id: req.id,
        ok: true,
        ...await roundTrip(stream, req.timeoutMs),
      };
    }
  }
}

async function main(): Promise<void> {
  reply({ id: 0, ok: true, ready: true });
  for await (const line of readLines(Deno.stdin.readable)) {
    if (!line.trim()) continue;
    const req = JSON.parse(line) as AgentRequest;
    handle(req).then(
      reply,
      (err) => reply({ id: req.id, ok: false, error: String(err) }),
    );
  }
  Deno.exit(0);
}

if (import.meta.main) await main();
