/**
 * Test helpers: the chat client as a real process with typed stdin (run
 * exactly as `deno task client` runs it), and a KMS and relay to talk
 * through, the relay on a fixed port so it can be killed and restarted.
 *
 * @module
 */

import { removeDataDir, startKms, type TestKms } from "../kms/_test_kms.ts";
import {
  freePort,
  PROJECT_ROOT,
  type ServiceProcess,
  type ServiceSpec,
  startService,
} from "../common/service_process.ts";

/** Generous deadline for anything a loaded two-core machine must do. */
export const WAIT_MS = 30_000;

/**
 * The state folder of this test process's clients (identity keys and pins,
 * under the client's writable `state/`), removed when the process ends.
 */
export const TEST_STATE_DIR = `state/test-${crypto.randomUUID().slice(0, 8)}`;
globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(`${PROJECT_ROOT}${TEST_STATE_DIR}`, { recursive: true });
  } catch {
    // Never created.
  }
});

/**
 * The client's command line without its flags: the same permission set
 * and entry as the `client` task in deno.json (a test checks they agree).
 */
export const CLIENT_SPEC: ServiceSpec = {
  permissionSet: "client",
  entry: "client/main.ts",
};

/** A client process. */
export interface TestClientProcess {
  /** The device id it runs as. */
  deviceId: string;
  /** The process: `type`, `waitForLine`, `output`, `stop`. */
  process: ServiceProcess;
}

/** Starts a client with flags for every setting and stdin open for typing. */
export async function startClient(
  options: {
    device: string;
    peer: string;
    kmsUrl: string;
    relayUrl: string;
    /** Run in this network namespace (a laptop behind the test router). */
    netns?: string;
    /** `--state`. Default {@linkcode TEST_STATE_DIR}. */
    stateDir?: string;
    /** `--credentials FILE` instead of `--device` (the file names `device`). */
    credentials?: string;
    /** More flags. */
    args?: string[];
    /** More environment variables. */
    env?: Record<string, string>;
  },
): Promise<TestClientProcess> {
  const process = await startService({
    ...CLIENT_SPEC,
    args: [
      ...(options.credentials === undefined
        ? ["--device", options.device]
        : ["--credentials", options.credentials]),
      "--peer",
      options.peer,
      "--kms",
      options.kmsUrl,
      "--relay",
      options.relayUrl,
      "--state",
      options.stateDir ?? TEST_STATE_DIR,
      ...options.args ?? [],
    ],
    interactive: true,
    netns: options.netns,
    env: options.env,
  }, { ready: /QSTCS secure chat/, timeoutMs: WAIT_MS });
  return { deviceId: options.device, process };
}

/** A relay process on a fixed port that can be killed and started again. */
export class RestartableRelay {
  /** Its port on 127.0.0.1. */
  readonly port: number = freePort();
  readonly #args: string[];
  #process?: ServiceProcess;

  /** A relay started with `args` besides host and port. */
  constructor(options: { args?: string[] } = {}) {
    this.#args = options.args ?? [];
  }

  /** `ws://127.0.0.1:PORT`. */
  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** Starts the relay process (again). */
  async start(): Promise<void> {
    this.#process = await startService({
      permissionSet: "relay",
      entry: "relay/main.ts",
      args: ["--host", "127.0.0.1", "--port", String(this.port), ...this.#args],
      net: [`127.0.0.1:${this.port}`],
    }, { ready: /listening on ws:/, timeoutMs: WAIT_MS });
  }

  /** Kills the process without a goodbye (SIGKILL), as a crash would. */
  async kill(): Promise<void> {
    await this.#process?.stop("SIGKILL");
    this.#process = undefined;
  }
}

/** A KMS and a relay for a test. */
export interface TestStack extends AsyncDisposable {
  /** The KMS. */
  kms: TestKms;
  /** The relay. */
  relay: RestartableRelay;
}

/** Starts a fresh KMS (own data directory) and relay, with more flags. */
export async function startStack(
  options: { kmsArgs?: string[]; relayArgs?: string[] } = {},
): Promise<TestStack> {
  const relay = new RestartableRelay({ args: options.relayArgs });
  const [kms] = await Promise.all([
    startKms({ args: options.kmsArgs }),
    relay.start(),
  ]);
  return {
    kms,
    relay,
    async [Symbol.asyncDispose]() {
      await Promise.all([relay.kill(), kms.stop()]);
      await removeDataDir(kms.dataDir);
    },
  };
}

/** Starts a pair of clients that talk to each other through `relayUrl`. */
export async function startPair(
  stack: TestStack,
  options: {
    alpha: string;
    bravo: string;
    relayUrl?: string;
    kmsUrl?: string;
    stateDir?: string;
  },
): Promise<[TestClientProcess, TestClientProcess]> {
  const common = {
    kmsUrl: options.kmsUrl ?? stack.kms.url,
    relayUrl: options.relayUrl ?? stack.relay.url,
    stateDir: options.stateDir,
  };
  return await Promise.all([
    startClient({ ...common, device: options.alpha, peer: options.bravo }),
    startClient({ ...common, device: options.bravo, peer: options.alpha }),
  ]);
}

/**
 * The line a client prints when the end-to-end key with its peer is ready;
 * group 1 is the KMS key id.
 */
export const KEY_READY =
  /🔐 End-to-end key ready with \w+ \(ML-KEM-768 \+ QKD key ([\w-]+)\)/;

/**
 * Starts Soldier_Alpha and Soldier_Bravo (or the names given), waits until
 * both hold the end-to-end key, runs `test`, and stops both whatever happens.
 */
export async function withReadyPair(
  stack: TestStack,
  test: (alpha: TestClientProcess, bravo: TestClientProcess) => Promise<void>,
  options: {
    alpha?: string;
    bravo?: string;
    relayUrl?: string;
    kmsUrl?: string;
    stateDir?: string;
  } = {},
): Promise<void> {
  const [alpha, bravo] = await startPair(stack, {
    alpha: options.alpha ?? "Soldier_Alpha",
    bravo: options.bravo ?? "Soldier_Bravo",
    relayUrl: options.relayUrl,
    kmsUrl: options.kmsUrl,
    stateDir: options.stateDir,
  });
  try {
    await Promise.all(
      [alpha, bravo].map((c) => c.process.waitForLine(KEY_READY, WAIT_MS)),
    );
    await test(alpha, bravo);
  } finally {
    await stopClients(alpha, bravo);
  }
}

/** Stops clients (closing stdin first, then SIGTERM). */
export async function stopClients(
  ...clients: (TestClientProcess | undefined)[]
): Promise<void> {
  await Promise.all(clients.map((client) => client?.process.stop()));
}

/** Output lines that match `pattern`. */
export function linesMatching(
  process: ServiceProcess,
  pattern: RegExp,
): string[] {
  return process.output.split("\n").filter((line) => pattern.test(line));
}

/**
 * Waits until at least `count` output lines match `pattern` (counting
 * those already printed).
 */
export async function waitForCount(
  process: ServiceProcess,
  pattern: RegExp,
  options: { count: number; timeoutMs?: number },
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? WAIT_MS);
  while (linesMatching(process, pattern).length < options.count) {
    if (Date.now() > deadline) {
      throw new Error(
        `fewer than ${options.count} lines matching ${pattern}:\n${
          process.tail(40)
        }`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Asks for `/status` until it shows no unconfirmed message (every receipt
 * in), or fails after the deadline.
 */
export async function waitForEmptyOutbox(
  client: TestClientProcess,
): Promise<void> {
  const OUTBOX = /^\[\w+\] {3}outbox: (\d+) unconfirmed/;
  const deadline = Date.now() + WAIT_MS;
  while (true) {
    const seen = linesMatching(client.process, OUTBOX).length;
    await client.process.type("/status");
    await waitForCount(client.process, OUTBOX, { count: seen + 1 });
    const last = linesMatching(client.process, OUTBOX).at(-1)!;
    if (last.match(OUTBOX)![1] === "0") return;
    if (Date.now() > deadline) {
      throw new Error(`outbox never emptied:\n${client.process.tail(40)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * Asserts that `receiver` showed the chat line `sender> text` exactly once
 * (not lost, not duplicated by a resend or a replay).
 */
export function assertShownOnce(
  receiver: TestClientProcess,
  message: { sender: string; text: string },
): void {
  const shown = linesMatching(
    receiver.process,
    chatLine(message.sender, message.text),
  ).length;
  if (shown !== 1) {
    throw new Error(
      `${receiver.deviceId} showed "${message.text}" from ${message.sender} ${shown} times:\n${
        receiver.process.tail(40)
      }`,
    );
  }
}

/** A chat line as the receiver prints it: `[HH:MM:SS] sender> text`. */
export function chatLine(sender: string, text: string): RegExp {
  const escaped = `${sender}> ${text}`.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^\\[\\d\\d:\\d\\d:\\d\\d\\] ${escaped}$`);
}

/** The tasks of deno.json, as written there. */
export async function denoTasks(): Promise<Record<string, string>> {
  const config = JSON.parse(
    await Deno.readTextFile(`${PROJECT_ROOT}deno.json`),
  );
  return config.tasks;
}

/** A device id unique to this test run, ending in `_name`. */
export function uniqueDevice(name: string): string {
  return `T${crypto.randomUUID().slice(0, 6)}_${name}`;
}
