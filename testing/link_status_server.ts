/**
 * A tiny stand-in for the KMS's `GET /link_status`, for testing and
 * demonstrating `router_guard.sh` before (or without) the real KMS.
 *
 * Run standalone with
 * `deno run --no-config --allow-net testing/link_status_server.ts [port]` and
 * type `GREEN`, `YELLOW`, `RED`, `SPACED`, `COMPACT`, `GARBAGE`, `DOWN` or `UP`
 * (one per line) on stdin to change what it serves. The tests run it inside
 * `ns_agent.ts` without deno.json, so it uses no import map.
 *
 * @module
 */

import { readLines } from "./read_lines.ts";

/** A link status as reported by the KMS. */
export type LinkStatus = "GREEN" | "YELLOW" | "RED";

/**
 * How the answer is written:
 * - `compact`: `{"status":"GREEN","qber":0.02,...}` (JSON.stringify)
 * - `spaced`: `{"status": "GREEN", "qber": 0.02, ...}` (Python's json.dumps)
 * - `garbage`: a 200 answer without any status field
 */
export type AnswerFormat = "compact" | "spaced" | "garbage";

/** Options for {@linkcode LinkStatusServer}. */
export interface LinkStatusServerOptions {
  /** Address to listen on (default `0.0.0.0`). */
  hostname?: string;
  /** Port to listen on (default 8000, the KMS port). */
  port?: number;
  /** Initial status (default GREEN). */
  status?: LinkStatus;
}

const QBER: Record<LinkStatus, number> = {
  GREEN: 0.02,
  YELLOW: 0.08,
  RED: 0.25,
};

/** Returns true if `value` is a {@linkcode LinkStatus}. */
export function isLinkStatus(value: string): value is LinkStatus {
  return value === "GREEN" || value === "YELLOW" || value === "RED";
}

/**
 * Builds the `/link_status` answer body for `status` in `format`, with the
 * fields the KMS serves (`status`, `qber`, `total_keys_issued`,
 * `attacks_detected`, `active_sessions`).
 */
export function linkStatusBody(
  status: LinkStatus,
  format: AnswerFormat,
): string {
  if (format === "garbage") return "<html><body>KMS maintenance</body></html>";
  const fields: [string, string | number][] = [
    ["status", status],
    ["qber", QBER[status]],
    ["total_keys_issued", 2],
    ["attacks_detected", status === "RED" ? 1 : 0],
    ["active_sessions", 2],
  ];
  if (format === "compact") return JSON.stringify(Object.fromEntries(fields));
  return "{" +
    fields.map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(
      ", ",
    ) + "}";
}

/**
 * An HTTP server answering `GET /link_status` with a status the caller sets,
 * which can also be taken down (connection refused) and brought back.
 */
export class LinkStatusServer {
  /** Status currently served. */
  status: LinkStatus;
  /** Answer format currently served. */
  format: AnswerFormat = "compact";
  /** Number of `/link_status` requests answered so far. */
  hits = 0;
  readonly #hostname: string;
  readonly #port: number;
  #server: Deno.HttpServer | undefined;

  /** Creates a stopped server; call {@linkcode LinkStatusServer.up}. */
  constructor(options: LinkStatusServerOptions = {}) {
    this.#hostname = options.hostname ?? "0.0.0.0";
    this.#port = options.port ?? 8000;
    this.status = options.status ?? "GREEN";
  }

  /** Whether the server is listening. */
  get listening(): boolean {
    return this.#server !== undefined;
  }

  /** Starts listening (no-op if already listening). */
  up(): void {
    if (this.#server) return;
    this.#server = Deno.serve({
      hostname: this.#hostname,
      port: this.#port,
      onListen: () => {},
    }, (req) => this.#handle(req));
  }

  /** Stops listening, so new connections are refused. */
  async down(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    await server?.shutdown();
  }

  #handle(req: Request): Response {
    const url = new URL(req.url);
    if (req.method !== "GET" || url.pathname !== "/link_status") {
      return new Response("not found\n", { status: 404 });
    }
    this.hits++;
    const type = this.format === "garbage" ? "text/html" : "application/json";
    return new Response(linkStatusBody(this.status, this.format), {
      headers: { "content-type": type },
    });
  }
}

async function main(): Promise<void> {
  const port = Number(Deno.args[0] ?? 8000);
  const server = new LinkStatusServer({ port });
  server.up();
  console.log(
    `status server on :${port}/link_status — type GREEN, YELLOW, RED, SPACED, COMPACT, GARBAGE, DOWN or UP`,
  );
  for await (const line of readLines(Deno.stdin.readable)) {
    const word = line.trim().toUpperCase();
    if (isLinkStatus(word)) server.status = word;
    else if (word === "SPACED") server.format = "spaced";
    else if (word === "COMPACT") server.format = "compact";
    else if (word === "GARBAGE") server.format = "garbage";
    else if (word === "DOWN") await server.down();
    else if (word === "UP") server.up();
    else if (word) console.log(`unknown command: ${word}`);
    console.log(
      `serving ${server.status} (${server.format}), ${
        server.listening ? "up" : "down"
      }`,
    );
  }
  await server.down();
}

if (import.meta.main) await main();
