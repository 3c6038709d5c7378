/**
 * Test helper: the relay as a real process on a free loopback port, a
 * WebSocket client that collects what it receives, and a raw TCP WebSocket
 * client that can stop reading or stop answering pings.
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

/**
 * A WebSocket client on a bare TCP connection: it completes the handshake
 * and sends masked text frames, and reads only when asked, so it can act as
 * a client that stopped reading or stopped answering pings.
 */
export class RawClient implements Disposable {
  #conn: Deno.TcpConn;
  // What arrived after the handshake response in its last read.
  #rest: Uint8Array;

  private constructor(conn: Deno.TcpConn, rest: Uint8Array) {
    this.#conn = conn;
    this.#rest = rest;
  }

  /** Connects and completes the WebSocket handshake. */
  static async connect(port: number): Promise<RawClient> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const key = btoa(
      String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))),
    );
    await writeAll(
      conn,
      new TextEncoder().encode(
        `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\n` +
          "Sec-WebSocket-Version: 13\r\n\r\n",
      ),
    );
    // The challenge frame may arrive in the same read as the response.
    let received = new Uint8Array(0);
    const buffer = new Uint8Array(1024);
    let end = -1;
    while (end < 0) {
      const n = await conn.read(buffer);
      if (n === null) throw new Error("connection closed during handshake");
      const joined = new Uint8Array(received.length + n);
      joined.set(received);
      joined.set(buffer.subarray(0, n), received.length);
      received = joined;
      end = new TextDecoder("latin1").decode(received).indexOf("\r\n\r\n");
    }
    const response = new TextDecoder().decode(received.subarray(0, end));
    if (!response.startsWith("HTTP/1.1 101")) {
      conn.close();
      throw new Error(`handshake refused: ${response.split("\r\n")[0]}`);
    }
    return new RawClient(conn, received.slice(end + 4));
  }

  /** Sends a masked text frame, as a client must. */
  sendText(text: string): Promise<void> {
    return this.#send(0x1, new TextEncoder().encode(text));
  }

  /**
   * Sends an unsolicited pong, a heartbeat that keeps the relay's idle
   * timer from closing a client that does not read.
   */
  sendPong(): Promise<void> {
    return this.#send(0xa, new Uint8Array(0));
  }

  /**
   * Announces a text frame of `length` bytes and streams its payload in
   * 1 MiB writes until all is sent or the relay drops the connection;
   * returns the bytes of payload written.
   */
  async streamFrame(length: number): Promise<number> {
    const header = new Uint8Array(14);
    header[0] = 0x81;
    header[1] = 0x80 | 127;
    new DataView(header.buffer).setBigUint64(2, BigInt(length));
    // A zero mask leaves the payload as written.
    await writeAll(this.#conn, header);
    const chunk = new Uint8Array(1 << 20).fill(0x61);
    let written = 0;
    try {
      while (written < length) {
        const n = Math.min(chunk.length, length - written);
        await writeAll(this.#conn, chunk.subarray(0, n));
        written += n;
      }
    } catch {
      // Reset by the relay.
    }
    return written;
  }

  async #send(opcode: number, payload: Uint8Array): Promise<void> {
    const length = payload.length;
    const first = 0x80 | opcode;
    // Frames this client sends stay under 64 KiB: a 16-bit length at most.
    const header = length < 126
      ? [first, 0x80 | length]
      : [first, 0x80 | 126, length >> 8, length & 0xff];
    const mask = crypto.getRandomValues(new Uint8Array(4));
    const frame = new Uint8Array(header.length + 4 + length);
    frame.set(header);
    frame.set(mask, header.length);
    for (let i = 0; i < length; i++) {
      frame[header.length + 4 + i] = payload[i] ^ mask[i & 3];
    }
    await writeAll(this.#conn, frame);
  }

  /**
   * Reads until the relay ends the connection and returns the code of its
   * close frame, or `undefined` if it sent none.
   */
  async readUntilClosed(): Promise<number | undefined> {
    const chunks: Uint8Array[] = [this.#rest];
    const buffer = new Uint8Array(64 * 1024);
    while (true) {
      const n = await this.#conn.read(buffer).catch(() => null);
      if (n === null) break;
      chunks.push(buffer.slice(0, n));
    }
    const bytes = new Uint8Array(chunks.reduce((sum, c) => sum + c.length, 0));
    let offset = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, offset);
      offset += chunk.length;
    }
    return closeCode(bytes);
  }

  /** Closes the TCP connection. */
  [Symbol.dispose](): void {
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.length;) {
    offset += await conn.write(bytes.subarray(offset));
  }
}

// Walks the unmasked frames a server sends and returns the close frame's code.
function closeCode(bytes: Uint8Array): number | undefined {
  let offset = 0;
  while (offset + 2 <= bytes.length) {
    const opcode = bytes[offset] & 0x0f;
    let length = bytes[offset + 1] & 0x7f;
    offset += 2;
    if (length === 126) {
      length = (bytes[offset] << 8) | bytes[offset + 1];
      offset += 2;
    } else if (length === 127) {
      length = Number(
        new DataView(bytes.buffer, offset, 8).getBigUint64(0),
      );
      offset += 8;
    }
    if (opcode === 0x8 && length >= 2) {
      return (bytes[offset] << 8) | bytes[offset + 1];
    }
    offset += length;
  }
  return undefined;
}
