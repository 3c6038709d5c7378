/**
 * Test helpers: the chat client as a real process with typed stdin (run
 * exactly as `deno task client` runs it), and a KMS and relay to talk
 * through, secure as shipped unless a test asks for the seeds' open mode,
 * the relay on a fixed port so it can be killed and restarted.
 *
 * @module
 */

import {
  enrollCredentials,
  removeDataDir,
  startKms,
  type TestKms,
} from "../kms/_test_kms.ts";
import {
  startRelay,
  type StartRelayOptions,
  type TestRelay,
} from "../relay/_test_relay.ts";
import {
  freePort,
  PROJECT_ROOT,
  type ServiceProcess,
  type ServiceSpec,
  startService,
} from "../common/service_process.ts";
import { parseCredentials, type Role } from "../protocol/mod.ts";
import { TICKET_PUBLIC_KEY_FILE } from "../protocol/mod.ts";
import { waitUntil } from "../testing/wait.ts";

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

/** Where a client connects: a stack's KMS and relay, or addresses given. */
export type ClientTarget =
  | {
    /** Its KMS and relay, and the device's credentials if it enrolled it. */
    stack: TestStack;
    /** Another KMS address (a proxy in front of the stack's). */
    kmsUrl?: string;
    /** Another relay address (a proxy in front of the stack's). */
    relayUrl?: string;
  }
  | { stack?: undefined; kmsUrl: string; relayUrl: string };

/** Options for {@linkcode startClient}. */
export type StartClientOptions = ClientTarget & {
  device: string;
  peer: string;
  /** Run in this network namespace (a laptop behind the test router). */
  netns?: string;
  /** `--state`. Default {@linkcode TEST_STATE_DIR}. */
  stateDir?: string;
  /**
   * `--credentials FILE` instead of `--device` (the file names `device`).
   * Default: the stack's file for `device`, if it enrolled it.
   */
  credentials?: string;
  /** More flags. */
  args?: string[];
  /** More environment variables. */
  env?: Record<string, string>;
};

/** Starts a client with flags for every setting and stdin open for typing. */
export async function startClient(
  options: StartClientOptions,
): Promise<TestClientProcess> {
  const { stack } = options;
  const credentials = options.credentials ??
    stack?.credentials(options.device);
  const process = await startService({
    ...CLIENT_SPEC,
    args: [
      ...(credentials === undefined
        ? ["--device", options.device]
        : ["--credentials", credentials]),
      "--peer",
      options.peer,
      "--kms",
      options.kmsUrl ?? stack!.kms.url,
      "--relay",
      options.relayUrl ?? stack!.relay.url,
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

/**
 * A relay process on a fixed port that can be killed and started again,
 * with the options of {@linkcode startRelay} (a restart reads its ticket key
 * again).
 */
export class RestartableRelay {
  /** Its port on 127.0.0.1. */
  readonly port: number = freePort();
  readonly #options: StartRelayOptions;
  #relay?: TestRelay;

  /** A relay started with `options` on {@linkcode RestartableRelay.port}. */
  constructor(options: StartRelayOptions) {
    this.#options = options;
  }

  /** `ws://127.0.0.1:PORT`. */
  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** Starts the relay process (again). */
  async start(): Promise<void> {
    this.#relay = await startRelay({ ...this.#options, port: this.port });
  }

  /** Stops the relay cleanly (SIGTERM): it closes every client with 1001. */
  async stop(): Promise<void> {
    await this.#relay?.process.stop();
    this.#relay = undefined;
  }

  /** What the running relay process printed (its log). */
  output(): string {
    return this.#relay?.process.output ?? "";
  }

  /** Kills the process without a goodbye (SIGKILL), as a crash would. */
  async kill(): Promise<void> {
    await this.#relay?.process.stop("SIGKILL");
    this.#relay = undefined;
  }
}

/** A KMS and a relay for a test, and the devices it enrolled. */
export interface TestStack extends AsyncDisposable {
  /** The KMS. */
  kms: TestKms;
  /** The relay. */
  relay: RestartableRelay;
  /** Whether both run `--open` (the seeds' mode) and nobody is enrolled. */
  open: boolean;
  /**
   * The credentials file (relative to the project root) of a device or
   * operator this stack enrolled; undefined for any other name.
   */
  credentials(name: string): string | undefined;
  /** The bearer token in the credentials file of `name`. */
  token(name: string): Promise<string>;
  /**
   * Enrolls `name` (again) with the real `kms:enroll --credentials`: a new
   * token in its file, and a re-enrolled device's identity key forgotten.
   */
  enroll(name: string, options?: { role?: Role }): Promise<void>;
}

/** Options for {@linkcode startStack}. */
export interface StackOptions {
  /**
   * The seeds' open mode, for the tests that rely on it: the KMS and the
   * relay run `--open`, nobody is enrolled, clients run without tokens and
   * tickets are not required. Default false: secure as shipped.
   */
  open?: boolean;
  /**
   * Devices enrolled before the clients start (each with a credentials
   * file its client is started with). Default Soldier_Alpha and
   * Soldier_Bravo; none when open.
   */
  devices?: string[];
  /** More KMS flags. */
  kmsArgs?: string[];
  /** More relay flags. */
  relayArgs?: string[];
}

/**
 * Starts a fresh KMS (own data directory) and relay as `deno task demo`
 * does: secure unless `open`, the devices enrolled with `kms:enroll
 * --credentials` (files in a folder of their own under `credentials/`,
 * which the client may read), the relay checking tickets with the KMS's
 * public key file.
 */
export async function startStack(
  options: StackOptions = {},
): Promise<TestStack> {
  const open = options.open ?? false;
  const kms = await startKms({ open, args: options.kmsArgs });
  const credentialsDir = `credentials/test-${crypto.randomUUID().slice(0, 8)}`;
  const enrolled = new Set<string>();
  const enroll = async (name: string, how: { role?: Role } = {}) => {
    await enrollCredentials(kms.dataDir, name, {
      file: `${credentialsDir}/${name}.json`,
      role: how.role,
    });
    enrolled.add(name);
  };
  const ticketKey = `${kms.dataDir}/${TICKET_PUBLIC_KEY_FILE}`;
  const relay = new RestartableRelay(
    open ? { open: true, args: options.relayArgs } : {
      open: false,
      args: ["--ticket-key", ticketKey, ...options.relayArgs ?? []],
      read: [`./${ticketKey}`],
    },
  );
  const stack: TestStack = {
    kms,
    relay,
    open,
    credentials: (name) =>
      enrolled.has(name) ? `${credentialsDir}/${name}.json` : undefined,
    async token(name) {
      const file = stack.credentials(name);
      if (file === undefined) throw new Error(`${name} is not enrolled`);
      const parsed = parseCredentials(
        await Deno.readTextFile(`${PROJECT_ROOT}${file}`),
      );
      if (!parsed.ok) throw new Error(`${file}: ${parsed.reason}`);
      return parsed.credentials.token;
    },
    enroll,
    async [Symbol.asyncDispose]() {
      await Promise.all([relay.kill(), kms.stop()]);
      await removeDataDir(kms.dataDir);
      await Deno.remove(`${PROJECT_ROOT}${credentialsDir}`, {
        recursive: true,
      }).catch(() => {});
    },
  };
  try {
    const devices = open
      ? []
      : options.devices ?? ["Soldier_Alpha", "Soldier_Bravo"];
    // The KMS wrote its ticket key at start; enrolling while it runs is
    // what an operator does.
    await Promise.all([...devices.map((name) => enroll(name)), relay.start()]);
  } catch (error) {
    await stack[Symbol.asyncDispose]();
    throw error;
  }
  return stack;
}

/** Starts a pair of clients of `stack` that talk to each other. */
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
    stack,
    kmsUrl: options.kmsUrl,
    relayUrl: options.relayUrl,
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
  // Each check splits the whole output: 20 a second are plenty.
  await waitUntil(
    () => linesMatching(process, pattern).length >= options.count,
    () => `${options.count} lines matching ${pattern}:\n${process.tail(40)}`,
    { timeoutMs: options.timeoutMs ?? WAIT_MS, intervalMs: 50 },
  );
}

/**
 * Asks for `/status` until it shows no unconfirmed message (every receipt
 * in), or fails after the deadline.
 */
export async function waitForEmptyOutbox(
  client: TestClientProcess,
): Promise<void> {
  const OUTBOX = /^\[\w+\] {3}outbox: (\d+) unconfirmed/;
  // Each check types /status into the client: twice a second.
  await waitUntil(
    async () => {
      const seen = linesMatching(client.process, OUTBOX).length;
      await client.process.type("/status");
      await waitForCount(client.process, OUTBOX, { count: seen + 1 });
      const last = linesMatching(client.process, OUTBOX).at(-1)!;
      return last.match(OUTBOX)![1] === "0";
    },
    () => `an empty outbox:\n${client.process.tail(40)}`,
    { timeoutMs: WAIT_MS, intervalMs: 500 },
  );
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
