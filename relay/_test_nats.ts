/**
 * Test helper: a real `nats-server` with JetStream on a free loopback port
 * and a temporary store, and relay nodes of a cluster on it.
 *
 * @module
 */

import { freePort, ServiceProcess } from "../common/service_process.ts";
import {
  startRelay,
  type StartRelayOptions,
  TestClient,
  type TestRelay,
} from "./_test_relay.ts";

/** A client registered as `deviceId` on the node at `url`. */
export async function online(
  url: string,
  deviceId: string,
): Promise<TestClient> {
  const client = await TestClient.connect(url);
  await client.register(deviceId);
  return client;
}

/** Why the cluster tests cannot run here, or `undefined` if they can. */
export async function natsMissing(): Promise<string | undefined> {
  try {
    await new Deno.Command("nats-server", { args: ["--version"] }).output();
    return undefined;
  } catch {
    return "nats-server is not installed (apt-get install nats-server)";
  }
}

/** A running nats-server. */
export interface TestNats extends AsyncDisposable {
  /** `nats://127.0.0.1:PORT`. */
  url: string;
  /** Its client port. */
  port: number;
  /** Stops it (SIGTERM) and starts it again on the same port and store. */
  restart(options?: { downMs?: number }): Promise<void>;
}

/** Starts nats-server with JetStream, storing in a new temporary directory. */
export async function startNats(): Promise<TestNats> {
  const port = freePort();
  const store = await Deno.makeTempDir({ prefix: "qstcs_nats_" });
  let server = await launch(port, store);
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    async restart(options = {}) {
      await server.stop();
      await new Promise((resolve) => setTimeout(resolve, options.downMs ?? 0));
      server = await launch(port, store);
    },
    async [Symbol.asyncDispose]() {
      await server.stop();
      await Deno.remove(store, { recursive: true });
    },
  };
}

async function launch(port: number, store: string): Promise<ServiceProcess> {
  const child = new Deno.Command("nats-server", {
    args: ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", store],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const server = new ServiceProcess(child);
  try {
    await server.waitForLine(/Server is ready/, 10_000);
  } catch (error) {
    await server.stop("SIGKILL");
    throw error;
  }
  return server;
}

/**
 * Starts a relay node `--open` on `nats`, named `nodeId`, with any other
 * options of {@linkcode startRelay}.
 */
export function startNode(
  nats: TestNats,
  nodeId: string,
  options: Partial<StartRelayOptions> = {},
): Promise<TestRelay> {
  return startRelay({
    open: true,
    ...options,
    args: ["--nats", nats.url, "--node-id", nodeId, ...options.args ?? []],
    net: [`127.0.0.1:${nats.port}`, ...options.net ?? []],
  });
}

/** A nats-server and two relay nodes on it, `node1` and `node2`. */
export interface TestCluster extends AsyncDisposable {
  nats: TestNats;
  node1: TestRelay;
  node2: TestRelay;
}

/** Starts a nats-server and two nodes, each with `options`. */
export async function startTwoNodes(
  options: Partial<StartRelayOptions> = {},
): Promise<TestCluster> {
  const nats = await startNats();
  const node1 = await startNode(nats, "node1", options);
  const node2 = await startNode(nats, "node2", options);
  return {
    nats,
    node1,
    node2,
    async [Symbol.asyncDispose]() {
      await node1[Symbol.asyncDispose]();
      await node2[Symbol.asyncDispose]();
      await nats[Symbol.asyncDispose]();
    },
  };
}
