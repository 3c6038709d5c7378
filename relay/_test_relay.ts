/**
 * Test helper: the relay as a real process on a free loopback port, and a
 * WebSocket client that collects what it receives (the raw TCP one is in
 * _test_raw_client.ts).
 *
 * @module
 */

import { type Identity, proveRegistration } from "../protocol/mod.ts";
import {
  freePort,
  PROJECT_ROOT,
  type ServiceProcess,
  startService,
} from "../common/service_process.ts";

/** A frame as received: the exact text, and its parse. */
export interface Received {
  /** The text frame byte for byte. */
  text: string;
  /** The parsed JSON object. */
  frame: Record<string, unknown>;
}

/** A running relay process. */
export interface TestRelay extends AsyncDisposable {
  /** Its port on 127.0.0.1. */
  port: number;
  /** `ws://127.0.0.1:PORT`. */
  url: string;
  /** The process, for its output. */
  process: ServiceProcess;
  /** Its process id, for /proc/PID/status. */
  pid: number;
  /** Samples of `GET /metrics` without labels or with them, by full name. */
  metrics(): Promise<Map<string, number>>;
}

/** Options for {@linkcode startRelay}. */
export interface StartRelayOptions {
  /**
   * Start with `--open`, which admits registrations without a ticket (the
   * seeds' relay). Without it the relay needs `--ticket-key FILE` or
   * `--kms URL` in `args`, as shipped: each test says which it runs.
   */
  open: boolean;
  /** Flags after the listen address. */
  args?: string[];
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Its port. Default: a free one. */
  port?: number;
  /** Addresses it may reach besides its own, e.g. a KMS for `--kms`. */
  net?: string[];
  /** Files it may read besides its permission set's, e.g. a `--ticket-key` file. */
  read?: string[];
  /** Its open-files limit (`ulimit -n`). Default: the caller's. */
  openFilesLimit?: number;
}

/**
 * Starts `relay/main.ts` with its permission set, listening on a free
 * loopback port (or `options.port`); extra flags and environment variables
 * as given.
 */
export async function startRelay(
  options: StartRelayOptions,
): Promise<TestRelay> {
  const port = options.port ?? freePort();
  const process = await startService({
    permissionSet: "relay",
    entry: "relay/main.ts",
    args: [
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      ...(options.open ? ["--open"] : []),
      ...options.args ?? [],
    ],
    env: options.env,
    net: [`127.0.0.1:${port}`, ...options.net ?? []],
    // An --allow-read list replaces the set's, whose own files (the
    // descriptor probe's /dev/null) stay readable.
    read: options.read && [...await relaySetReads(), ...options.read],
    openFilesLimit: options.openFilesLimit,
  }, { ready: /listening on ws:/, timeoutMs: 30_000 });
  return {
    port,
    url: `ws://127.0.0.1:${port}`,
    process,
    pid: process.pid,
    async metrics() {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`))
        .text();
      const samples = new Map<string, number>();
      for (const line of text.split("\n")) {
        if (line === "" || line.startsWith("#")) continue;
        const space = line.lastIndexOf(" ");
        samples.set(line.slice(0, space), Number(line.slice(space + 1)));
      }
      return samples;
    },
    async [Symbol.asyncDispose]() {
      await process.stop();
    },
  };
}

// The read list of the relay's permission set in deno.json.
async function relaySetReads(): Promise<string[]> {
  const config = JSON.parse(
    await Deno.readTextFile(`${PROJECT_ROOT}deno.json`),
  );
  return config.permissions.relay.read;
}

/**
 * A WebSocket client whose received frames queue up for
 * {@linkcode TestClient.next}; the relay's opening challenge frame is kept
 * apart, as {@linkcode TestClient.challenge}.
 */
export class TestClient implements AsyncDisposable {
  /** The socket. */
  readonly socket: WebSocket;
  /** Resolves when the socket closes. */
  readonly closed: Promise<CloseEvent>;
  /** Resolves to the nonce of the relay's challenge frame. */
  readonly challenge: Promise<string>;
  #inbox: Received[] = [];
  #waiters: (() => void)[] = [];

  private constructor(socket: WebSocket) {
    this.socket = socket;
    this.closed = new Promise((resolve) => {
      socket.addEventListener("close", resolve);
    });
    let challenged: (nonce: string) => void;
    this.challenge = new Promise((resolve) => challenged = resolve);
    let first = true;
    socket.addEventListener("message", (event) => {
      const text = event.data as string;
      const frame = JSON.parse(text);
      if (first && frame.type === "challenge") {
        first = false;
        challenged(frame.nonce);
        return;
      }
      first = false;
      this.#inbox.push({ text, frame });
      for (const wake of this.#waiters.splice(0)) wake();
    });
    socket.addEventListener("close", () => {
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  /** Opens a connection to `url`. */
  static async connect(url: string): Promise<TestClient> {
    const socket = new WebSocket(url);
    await new Promise((resolve, reject) => {
      socket.onopen = resolve;
      socket.onerror = () => reject(new Error(`cannot connect to ${url}`));
    });
    return new TestClient(socket);
  }

  /**
   * Registers `deviceId`, with any extra fields, and returns the
   * `registered` frame; throws with the frame received instead. With
   * `identity`, the frame carries its proof of this connection's challenge.
   */
  async register(
    deviceId: string,
    fields: Record<string, unknown> & { identity?: Identity } = {},
  ): Promise<Record<string, unknown>> {
    const { identity, ...rest } = fields;
    const proof = identity && await proveRegistration(identity, {
      nonce: await this.challenge,
      deviceId,
    });
    this.send({ type: "register", device_id: deviceId, ...rest, proof });
    const { frame } = await this.next((f) => f.type !== "presence");
    if (frame.type !== "registered") {
      throw new Error(`register ${deviceId}: ${JSON.stringify(frame)}`);
    }
    return frame;
  }

  /** Sends a string as is, or anything else as JSON. */
  send(frame: unknown): void {
    this.socket.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /**
   * Takes the oldest received frame that matches, waiting for one up to
   * `timeoutMs`.
   */
  async next(
    match: (frame: Record<string, unknown>) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const index = this.#inbox.findIndex((r) => match(r.frame));
      if (index >= 0) return this.#inbox.splice(index, 1)[0];
      if (this.socket.readyState === WebSocket.CLOSED) {
        throw new Error("socket closed while waiting for a frame");
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `no matching frame within ${timeoutMs} ms; inbox: ${
            JSON.stringify(this.#inbox.map((r) => r.frame))
          }`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for the next frame of a type. */
  nextOfType(type: string, timeoutMs?: number): Promise<Received> {
    return this.next((frame) => frame.type === type, timeoutMs);
  }

  /** Frames received and not yet taken, oldest first. */
  get inbox(): readonly Received[] {
    return this.#inbox;
  }

  /** Closes the socket and waits for the close to finish. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.socket.readyState !== WebSocket.CLOSED) this.socket.close();
    await this.closed;
  }
}
