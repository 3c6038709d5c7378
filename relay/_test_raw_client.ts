/**
 * Test helper: a raw TCP WebSocket client that can stop reading or stop
 * answering pings.
 *
 * @module
 */

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
