/**
 * Starts QSTCS services as real child processes with their named permission
 * set from deno.json, the way `deno task demo` and the system tests run them.
 *
 * @module
 */

import { TextLineStream } from "./std.ts";

/** What to start. */
export interface ServiceSpec {
  /** Permission set name in deno.json (`-P=name`). */
  permissionSet: string;
  /** Entry module, relative to the project root. */
  entry: string;
  /** Arguments after the entry. */
  args?: string[];
  /** Extra environment variables. */
  env?: Record<string, string>;
  /**
   * Replaces the set's network list (Deno lets a flag override one kind of
   * a permission set), for services on test ports.
   */
  net?: string[];
  /**
   * Replaces the set's read list, as `net` does the network list: for a
   * file outside the set's own paths (the relay's ticket key in a KMS data
   * directory other than data/kms).
   */
  read?: string[];
  /** Keep stdin open for {@linkcode ServiceProcess.type} (scripted clients). */
  interactive?: boolean;
  /** Working directory. Default: the project root. */
  cwd?: string;
  /** Run inside this network namespace (`ip netns exec`, needs root). */
  netns?: string;
  /** Lower the soft limit on open files to this (`ulimit -n`). */
  openFilesLimit?: number;
}

/** Options for {@linkcode startService}. */
export interface StartOptions {
  /** A stdout line matching this means the service is ready. */
  ready: RegExp;
  /** Give up after this long. Default 15 s. */
  timeoutMs?: number;
  /** Echo the service's output with this prefix (the demo does). */
  echoPrefix?: string;
  /** Stop waiting (and stop the service) when this aborts. */
  signal?: AbortSignal;
}

/** The project root: the folder that holds deno.json. */
export const PROJECT_ROOT: string = new URL("..", import.meta.url).pathname;

/**
 * The command line for a service, for running and for printing.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { serviceArgs } from "./service_process.ts";
 * assertEquals(
 *   serviceArgs({ permissionSet: "relay", entry: "relay/main.ts" }),
 *   ["run", "--quiet", "-P=relay", "relay/main.ts"],
 * );
 * ```
 */
export function serviceArgs(spec: ServiceSpec): string[] {
  const net = spec.net ? [`--allow-net=${spec.net.join(",")}`] : [];
  const read = spec.read ? [`--allow-read=${spec.read.join(",")}`] : [];
  // --quiet hides Deno's notice that config-file permissions are
  // experimental, which would otherwise open every service's output.
  return [
    "run",
    "--quiet",
    `-P=${spec.permissionSet}`,
    ...net,
    ...read,
    spec.entry,
    ...(spec.args ?? []),
  ];
}

/** Most output kept per service for error reports. */
const MAX_OUTPUT_CHARS = 1 << 20;

/** A running service. */
export class ServiceProcess {
  #child: Deno.ChildProcess;
  #stdin: WritableStreamDefaultWriter<Uint8Array> | null = null;
  #output = "";
  #lineWaiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  /** Resolves with the exit status when the process ends. */
  readonly exited: Promise<Deno.CommandStatus>;

  /** Wraps a spawned child (use {@linkcode startService}). */
  constructor(
    child: Deno.ChildProcess,
    options: { echoPrefix?: string; interactive?: boolean } = {},
  ) {
    const { echoPrefix } = options;
    this.#child = child;
    if (options.interactive) this.#stdin = child.stdin.getWriter();
    const pump = async (stream: ReadableStream<Uint8Array<ArrayBuffer>>) => {
      const lines = stream.pipeThrough(new TextDecoderStream())
        .pipeThrough(new TextLineStream());
      for await (const line of lines) this.#onLine(line, echoPrefix);
    };
    const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
    this.exited = pumps.then(() => child.status);
  }

  /** Types a line into the process's stdin (needs `interactive`). */
  async type(line: string): Promise<void> {
    if (!this.#stdin) throw new Error("not started with interactive: true");
    await this.#stdin.write(new TextEncoder().encode(line + "\n"));
  }

  /** Closes stdin (end of input), if it is open. */
  async closeInput(): Promise<void> {
    const writer = this.#stdin;
    this.#stdin = null;
    await writer?.close().catch(() => {});
  }

  /** Process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Everything the process printed so far (stdout and stderr, by line). */
  get output(): string {
    return this.#output;
  }

  /** Waits for an output line (past or future) that matches `pattern`. */
  waitForLine(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
    const seen = this.#output.split("\n").find((line) => pattern.test(line));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#lineWaiters = this.#lineWaiters.filter((w) => w.resolve !== done);
        reject(
          new Error(
            `no line matching ${pattern} within ${timeoutMs} ms:\n${this.tail()}`,
          ),
        );
      }, timeoutMs);
      const done = (line: string) => {
        clearTimeout(timer);
        resolve(line);
      };
      this.#lineWaiters.push({ pattern, resolve: done });
      this.exited.then(() => {
        if (this.#lineWaiters.some((w) => w.resolve === done)) {
          clearTimeout(timer);
          reject(
            new Error(
              `process exited before a line matching ${pattern}:\n${this.tail()}`,
            ),
          );
        }
      });
    });
  }

  /** The last `lines` lines of output. */
  tail(lines = 20): string {
    return this.#output.trimEnd().split("\n").slice(-lines).join("\n");
  }

  /** Sends a signal (default SIGTERM) and waits for the exit. */
  async stop(signal: Deno.Signal = "SIGTERM"): Promise<Deno.CommandStatus> {
    await this.closeInput();
    try {
      this.#child.kill(signal);
    } catch {
      // Already gone.
    }
    return await this.exited;
  }

  #onLine(line: string, echoPrefix?: string): void {
    if (this.#output.length < MAX_OUTPUT_CHARS) this.#output += line + "\n";
    if (echoPrefix !== undefined) console.log(`${echoPrefix}${line}`);
    this.#lineWaiters = this.#lineWaiters.filter((waiter) => {
      if (!waiter.pattern.test(line)) return true;
      waiter.resolve(line);
      return false;
    });
  }
}

/**
 * Spawns a service and waits until it prints its ready line.
 *
 * @example
 * ```ts ignore
 * import { startService } from "./service_process.ts";
 * const relay = await startService(
 *   { permissionSet: "relay", entry: "relay/main.ts", args: ["--port", "9000"], net: ["127.0.0.1:9000"] },
 *   { ready: /listening/ },
 * );
 * await relay.stop();
 * ```
 */
export async function startService(
  spec: ServiceSpec,
  options: StartOptions,
): Promise<ServiceProcess> {
  const deno = spec.netns
    ? ["ip", "netns", "exec", spec.netns, Deno.execPath()]
    : [Deno.execPath()];
  const [command, ...prefix] = spec.openFilesLimit === undefined ? deno : [
    "bash",
    "-c",
    `ulimit -n ${spec.openFilesLimit} && exec "$0" "$@"`,
    ...deno,
  ];
  const child = new Deno.Command(command, {
    args: [...prefix, ...serviceArgs(spec)],
    cwd: spec.cwd ?? PROJECT_ROOT,
    env: { NO_COLOR: "1", ...spec.env },
    stdin: spec.interactive ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const service = new ServiceProcess(child, {
    echoPrefix: options.echoPrefix,
    interactive: spec.interactive,
  });
  const { signal } = options;
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
  try {
    signal?.throwIfAborted();
    await Promise.race([
      service.waitForLine(options.ready, options.timeoutMs ?? 15_000),
      aborted,
    ]);
  } catch (error) {
    await service.stop("SIGKILL");
    throw error;
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
  return service;
}

// Ports handed out by this process. A port is free only until someone binds
// it, and the kernel may offer a just-closed port again: a test that picks a
// port for a server it starts later (a KMS that comes up late) must not see
// it handed to the next service it starts.
const handedOut = new Set<number>();

/**
 * A TCP port on 127.0.0.1 that was free a moment ago and that this process
 * has not handed out before.
 *
 * @example
 * ```ts
 * import { assert, assertNotEquals } from "@std/assert";
 * import { freePort } from "./service_process.ts";
 * const port = freePort();
 * assert(port > 0);
 * assertNotEquals(freePort(), port);
 * ```
 */
export function freePort(): number {
  for (;;) {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const { port } = listener.addr as Deno.NetAddr;
    listener.close();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}
