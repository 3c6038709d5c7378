/**
 * Test helper: a TCP proxy that records every byte both ways, as a capture
 * on the LAN would (what tcpdump on the relay's port sees), and reads the
 * WebSocket text frames out of it, unmasked (RFC 6455 5.3: a client masks
 * its frames, so a search in the raw bytes alone would prove nothing).
 *
 * @module
 */

/** A running capture proxy. */
export interface CaptureProxy extends AsyncDisposable {
  /** `127.0.0.1:PORT`, to put a scheme before. */
  address: string;
  /**
   * While true, new connections are accepted and left hanging, as behind a
   * network that stops answering; default false.
   */
  silent: boolean;
  /** Every byte seen, per connection and direction, in order. */
  readonly streams: { upstream: boolean; bytes: Uint8Array[] }[];
  /** Everything seen as one byte string (HTTP and raw WebSocket bytes). */
  raw(): Uint8Array;
  /** The text of every WebSocket frame seen, both ways, unmasked. */
  frames(): string[];
}

/** Starts a recording proxy to `127.0.0.1:upstreamPort`. */
export function startCaptureProxy(
  upstreamPort: number,
  options: { silent?: boolean } = {},
): CaptureProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  const streams: CaptureProxy["streams"] = [];
  const record = (upstream: boolean) => {
    const stream = { upstream, bytes: [] as Uint8Array[] };
    streams.push(stream);
    return new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        stream.bytes.push(chunk.slice());
        controller.enqueue(chunk);
      },
    });
  };
  const pass = async (client: Deno.Conn) => {
    const upstream = await Deno.connect({
      hostname: "127.0.0.1",
      port: upstreamPort,
    });
    open.add(upstream);
    await Promise.allSettled([
      client.readable.pipeThrough(record(true)).pipeTo(upstream.writable),
      upstream.readable.pipeThrough(record(false)).pipeTo(client.writable),
    ]);
    open.delete(upstream);
  };
  const proxy: CaptureProxy = {
    address: `127.0.0.1:${listener.addr.port}`,
    silent: options.silent ?? false,
    streams,
    raw: () => concat(streams.flatMap((stream) => stream.bytes)),
    frames: () => streams.flatMap((stream) => textFrames(concat(stream.bytes))),
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const conn of open) {
        try {
          conn.close();
        } catch {
          // closed by its own end meanwhile
        }
      }
      await accepting;
    },
  };
  const accepting = (async () => {
    try {
      for await (const conn of listener) {
        open.add(conn);
        if (!proxy.silent) {
          pass(conn).catch(() => {}).finally(() => open.delete(conn));
        }
      }
    } catch {
      // closed
    }
  })();
  return proxy;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  return all;
}

// The text frames of one direction of a WebSocket connection, after its
// HTTP upgrade; unfragmented text frames are all the relay and the client
// send.
function textFrames(bytes: Uint8Array): string[] {
  const head = new TextDecoder("latin1").decode(bytes.subarray(0, 4096));
  const end = head.indexOf("\r\n\r\n");
  if (!head.startsWith("GET ") && !head.startsWith("HTTP/1.1 101")) return [];
  let at = end + 4;
  const texts: string[] = [];
  while (at + 2 <= bytes.length) {
    const opcode = bytes[at] & 0x0f;
    const masked = (bytes[at + 1] & 0x80) !== 0;
    let length = bytes[at + 1] & 0x7f;
    at += 2;
    if (length === 126) {
      length = (bytes[at] << 8) | bytes[at + 1];
      at += 2;
    } else if (length === 127) {
      length = Number(
        new DataView(bytes.buffer, bytes.byteOffset + at, 8).getBigUint64(0),
      );
      at += 8;
    }
    const mask = masked ? bytes.subarray(at, at + 4) : undefined;
    if (masked) at += 4;
    if (at + length > bytes.length) break;
    const payload = bytes.slice(at, at + length);
    if (mask) {
      for (let i = 0; i < payload.length; i++) payload[i] ^= mask[i % 4];
    }
    if (opcode === 1) texts.push(new TextDecoder().decode(payload));
    at += length;
  }
  return texts;
}
