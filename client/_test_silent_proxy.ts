/**
 * Test helper: a TCP proxy that can go silent, as a KMS behind a network
 * that stops answering: connections are accepted and then left hanging.
 * Switched back on, new connections are passed through to the upstream.
 *
 * @module
 */

/** A running proxy. */
export interface SilentProxy extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** Whether new connections are left hanging. */
  silent: boolean;
}

/** Starts a proxy to `127.0.0.1:upstreamPort`, silent at first. */
export function startSilentProxy(upstreamPort: number): SilentProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<Deno.Conn>();
  const proxy: SilentProxy = {
    url: `http://127.0.0.1:${listener.addr.port}`,
    silent: true,
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
  const pass = async (client: Deno.Conn) => {
    const upstream = await Deno.connect({
      hostname: "127.0.0.1",
      port: upstreamPort,
    });
    open.add(upstream);
    await Promise.allSettled([
      client.readable.pipeTo(upstream.writable),
      upstream.readable.pipeTo(client.writable),
    ]);
    open.delete(upstream);
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
