/**
 * A service's HTTP server from start to a clean stop: listens, prints its
 * ready lines, and on SIGINT or SIGTERM prints `[TAG] shutting down`, lets
 * the service release what it holds, stops accepting and returns.
 *
 * @example
 * ```ts ignore
 * await serveUntilSignal(handler, {
 *   hostname: "0.0.0.0",
 *   port: 8000,
 *   tag: "KMS",
 *   onListen: ({ hostname, port }) => console.log(`[KMS] listening on http://${hostname}:${port}`),
 *   onStop: () => hub.close(),
 * });
 * ```
 *
 * @module
 */

/** How {@linkcode serveUntilSignal} serves and stops. */
export interface ServeOptions {
  /** Listen address. */
  hostname: string;
  /** Listen port (0 for any free one). */
  port: number;
  /** The log tag, e.g. `KMS` for `[KMS] shutting down`. */
  tag: string;
  /** Called once the socket is bound, to print the ready lines. */
  onListen: (address: { hostname: string; port: number }) => void;
  /**
   * Called once on the first signal, before the server stops accepting:
   * end long-lived streams and sockets here, or the server waits for them.
   */
  onStop?: () => void | Promise<void>;
  /** Ends the server without a signal (tests). */
  signal?: AbortSignal;
  /**
   * How long to wait for open connections after the stop before returning
   * anyway, in ms. Default 1000: `Deno.serve` may never finish while a
   * client that vanished without a close handshake still holds an upgraded
   * socket (denoland/deno#29088).
   */
  graceMs?: number;
}

/** Serves `handler` until SIGINT, SIGTERM or `options.signal`. */
export async function serveUntilSignal(
  handler: Deno.ServeHandler<Deno.NetAddr>,
  options: ServeOptions,
): Promise<void> {
  const controller = new AbortController();
  const server = Deno.serve({
    hostname: options.hostname,
    port: options.port,
    signal: controller.signal,
    onListen: options.onListen,
  }, handler);
  const stopped = Promise.withResolvers<void>();
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log(`[${options.tag}] shutting down`);
    try {
      await options.onStop?.();
    } finally {
      controller.abort();
      stopped.resolve();
    }
  };
  const signals = ["SIGINT", "SIGTERM"] as const;
  for (const name of signals) Deno.addSignalListener(name, stop);
  options.signal?.addEventListener("abort", stop, { once: true });
  try {
    await stopped.promise;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      server.finished,
      new Promise((resolve) => {
        timer = setTimeout(resolve, options.graceMs ?? 1000);
      }),
    ]);
    clearTimeout(timer);
  } finally {
    for (const name of signals) Deno.removeSignalListener(name, stop);
  }
}
