/**
 * Runs `router/router_guard.sh` for the tests: under `busybox sh`, inside a
 * network namespace, with a PATH that holds only BusyBox applets plus
 * iptables, so the script cannot lean on anything a BusyBox router lacks.
 * `wget` and `iptables` in that PATH are tiny tracing shims that record each
 * call and then exec BusyBox's wget / the real iptables.
 *
 * @module
 */

import { TextLineStream } from "../common/std.ts";
import { findTool } from "./netns.ts";

/** The applets the guard may use (all provided by BusyBox). */
export const GUARD_APPLETS = ["grep", "sed", "cut", "date", "sleep", "timeout"];

/** A temporary bin directory for the guard, with a call trace. */
export interface GuardBin {
  /** The directory to use as the guard's whole PATH. */
  dir: string;
  /** File the shims append `wget ARGS` / `iptables ARGS` lines to. */
  trace: string;
  /** Removes the directory. */
  remove(): Promise<void>;
}

/**
 * Creates a bin directory: symlinks to busybox for {@linkcode GUARD_APPLETS},
 * a `wget` shim running `busybox wget`, and a shim for each of `iptables`
 * (names such as `iptables`, `iptables-legacy`, `iptables-nft`) running the
 * system binary of that name.
 */
export async function makeGuardBin(
  iptables: string[] = ["iptables"],
): Promise<GuardBin> {
  const busybox = findTool("busybox")!;
  const dir = await Deno.makeTempDir({ prefix: "qstcs_guard_bin_" });
  const trace = `${dir}/trace.log`;
  await Deno.writeTextFile(trace, "");
  for (const applet of GUARD_APPLETS) {
    await Deno.symlink(busybox, `${dir}/${applet}`);
  }
  const shim = async (name: string, target: string) => {
    await Deno.writeTextFile(
      `${dir}/${name}`,
      `#!${busybox} sh\necho "${name} $*" >>'${trace}'\nexec ${target} "$@"\n`,
    );
    await Deno.chmod(`${dir}/${name}`, 0o755);
  };
  await shim("wget", `'${busybox}' wget`);
  for (const name of iptables) {
    const real = findTool(name);
    if (!real) throw new Error(`${name} not found`);
    await shim(name, `'${real}'`);
  }
  return {
    dir,
    trace,
    remove: () => Deno.remove(dir, { recursive: true }),
  };
}

const LOG_LINE = /^\[GUARD\] \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \| (.*)$/;

/** A running guard; its output lines are collected in {@linkcode lines}. */
export class GuardProcess {
  /** Every stdout line, as printed. */
  readonly lines: string[] = [];
  /** Every stderr line (the guard should print none). */
  readonly errors: string[] = [];
  readonly #child: Deno.ChildProcess;
  readonly #done: Promise<void>;
  #status: Deno.CommandStatus | undefined;

  /**
   * Starts `busybox sh router/router_guard.sh` in namespace `ns` with exactly
   * `env` plus `PATH=bin.dir` as its environment.
   */
  constructor(ns: string, bin: GuardBin, env: Record<string, string>) {
    const script = new URL("../router/router_guard.sh", import.meta.url)
      .pathname;
    this.#child = new Deno.Command(findTool("ip")!, {
      // setsid: the guard leads its own process group, so teardown can kill
      // its children (sleep, wget) too.
      args: [
        "netns",
        "exec",
        ns,
        findTool("busybox")!,
        "setsid",
        findTool("busybox")!,
        "sh",
        script,
      ],
      env: { ...env, PATH: bin.dir },
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const collect = async (
      stream: ReadableStream<Uint8Array<ArrayBuffer>>,
      into: string[],
    ) => {
      const lines = stream.pipeThrough(new TextDecoderStream())
        .pipeThrough(new TextLineStream());
      for await (const line of lines) into.push(line);
    };
    this.#done = Promise.all([
      collect(this.#child.stdout, this.lines),
      collect(this.#child.stderr, this.errors),
      this.#child.status.then((s) => {
        this.#status = s;
      }),
    ]).then(() => {});
  }

  /** Messages (the text after `| `) of all log lines so far. */
  get messages(): string[] {
    return this.lines.map((l) => LOG_LINE.exec(l)?.[1] ?? `<unformatted> ${l}`);
  }

  /** Exit status once the guard has exited, else undefined. */
  get status(): Deno.CommandStatus | undefined {
    return this.#status;
  }

  /** The whole output, for failure messages. */
  transcript(): string {
    return [...this.lines, ...this.errors.map((e) => `stderr: ${e}`)].join(
      "\n",
    );
  }

  /**
   * Waits until a log message from index `from` on matches `pattern`; returns
   * its index. Throws (with the transcript) after `timeoutMs` or if the guard
   * exits first.
   */
  async waitFor(
    pattern: RegExp,
    timeoutMs: number,
    from = 0,
  ): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const index = this.messages.findIndex((m, i) =>
        i >= from && pattern.test(m)
      );
      if (index >= 0) return index;
      if (this.#status || Date.now() > deadline) {
        throw new Error(
          `guard log never matched ${pattern} (${
            this.#status ? `guard exited ${this.#status.code}` : "timeout"
          }):\n${this.transcript()}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * Sends `signal` to the guard's shell and waits for it to exit; then kills
   * whatever is left of its process group (for SIGKILL: the whole group at
   * once, as if the router had killed it hard).
   */
  async stop(signal: Deno.Signal = "SIGTERM"): Promise<Deno.CommandStatus> {
    const killGroup = () => {
      try {
        Deno.kill(-this.#child.pid, "SIGKILL");
      } catch {
        // group already empty
      }
    };
    if (!this.#status) {
      if (signal === "SIGKILL") {
        killGroup();
      } else {
        try {
          this.#child.kill(signal);
        } catch {
          // already exited
        }
      }
    }
    await this.#child.status;
    killGroup();
    await this.#done;
    return this.#status!;
  }

  /** Waits for the guard to exit by itself. */
  async exited(): Promise<Deno.CommandStatus> {
    await this.#done;
    return this.#status!;
  }
}
