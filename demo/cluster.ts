/**
 * `deno task cluster`: a relay cluster to try on one machine. Starts
 * `nats-server` with JetStream on loopback (store in `data/nats`) and two or
 * three relay nodes on it, each on its own port, prints their URLs, and
 * stops them all on Ctrl-C.
 *
 * ```sh
 * deno task cluster                      # 3 nodes, ws://127.0.0.1:8765..8767, --open
 * deno task cluster --nodes 2 -- --ticket-key data/kms/ticket_key.pub
 * ```
 *
 * Flags after `--` go to every relay node (default `--open`, which admits
 * registrations without a ticket, as `deno task relay --open` does).
 *
 * @module
 */

import { errorMessage } from "../common/error_message.ts";
import { parseArgs } from "../common/std.ts";
import { ServiceProcess, startService } from "../common/service_process.ts";

const USAGE = `deno task cluster [--nodes 2|3] [--port FIRST] [--nats-port PORT]
                  [--store DIR] [-- RELAY FLAGS]`;

/** What {@linkcode startCluster} starts. */
export interface ClusterOptions {
  /** The relay nodes' ports, one per node. */
  ports: number[];
  /** nats-server's client port. */
  natsPort: number;
  /** JetStream's store directory. */
  store: string;
  /** Flags for every relay node. */
  relayArgs: string[];
}

/** A running cluster: the relay URLs, and one call to stop it all. */
export interface LocalCluster {
  urls: string[];
  stop(): Promise<void>;
}

/** Starts nats-server, then the relay nodes on it. */
export async function startCluster(
  options: ClusterOptions,
): Promise<LocalCluster> {
  const nats = new ServiceProcess(
    new Deno.Command("nats-server", {
      args: [
        "-a",
        "127.0.0.1",
        "-p",
        String(options.natsPort),
        "-js",
        "-sd",
        options.store,
      ],
      stdout: "piped",
      stderr: "piped",
    }).spawn(),
  );
  await nats.waitForLine(/Server is ready/, 10_000);
  const natsUrl = `nats://127.0.0.1:${options.natsPort}`;
  const relays: ServiceProcess[] = [];
  const stop = async () => {
    for (const relay of relays) await relay.stop();
    await nats.stop();
  };
  try {
    for (const [i, port] of options.ports.entries()) {
      relays.push(
        await startService({
          permissionSet: "relay",
          entry: "relay/main.ts",
          args: [
            "--host",
            "127.0.0.1",
            "--port",
            String(port),
            "--nats",
            natsUrl,
            "--node-id",
            `relay${i + 1}`,
            ...options.relayArgs,
          ],
          net: [
            `127.0.0.1:${port}`,
            `127.0.0.1:${options.natsPort}`,
            "localhost:8000",
            "127.0.0.1:8000",
          ],
        }, { ready: /listening on ws:/, timeoutMs: 30_000 }),
      );
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    urls: options.ports.map((port) => `ws://127.0.0.1:${port}`),
    stop,
  };
}

if (import.meta.main) {
  const split = Deno.args.indexOf("--");
  const own = split < 0 ? Deno.args : Deno.args.slice(0, split);
  const passed = split < 0 ? [] : Deno.args.slice(split + 1);
  const flags = parseArgs(own, {
    string: ["nodes", "port", "nats-port", "store"],
    boolean: ["help"],
  });
  if (flags.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  const nodes = Number(flags.nodes ?? "3");
  if (nodes !== 2 && nodes !== 3) {
    console.error(`--nodes must be 2 or 3\n${USAGE}`);
    Deno.exit(2);
  }
  const relayArgs = passed.length > 0 ? passed : ["--open"];
  const first = Number(flags.port ?? "8765");
  const cluster = await startCluster({
    ports: Array.from({ length: nodes }, (_, i) => first + i),
    natsPort: Number(flags["nats-port"] ?? "4222"),
    store: flags.store ?? "data/nats",
    relayArgs,
  }).catch((error) => {
    console.error(
      error instanceof Deno.errors.NotFound
        ? "[CLUSTER] nats-server is not installed: apt-get install nats-server"
        : `[CLUSTER] cannot start: ${errorMessage(error)}`,
    );
    Deno.exit(1);
  });
  for (const url of cluster.urls) console.log(`[CLUSTER] relay node ${url}`);
  console.log(
    "[CLUSTER] ready: connect clients to any node, e.g. deno task client " +
      `--relay ${cluster.urls[0]}; Ctrl-C stops it all`,
  );
  const stopped = Promise.withResolvers<void>();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => stopped.resolve());
  }
  await stopped.promise;
  console.log("[CLUSTER] stopping");
  await cluster.stop();
  Deno.exit(0);
}
