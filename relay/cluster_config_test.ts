import { assertEquals, assertThrows } from "@std/assert";
import { ConfigError } from "../common/cli.ts";
import { parseRelayConfig } from "./config.ts";
import { natsAddress, readClusterConfig } from "./cluster_config.ts";

const none = () => undefined;

Deno.test("without --nats or RELAY_NATS the relay is no cluster node", () => {
  const config = parseRelayConfig(["--open"], none);
  assertEquals(config.cluster, undefined);
  assertEquals("cluster" in config, false);
});

Deno.test("--nats takes a comma-separated list; RELAY_NATS and RELAY_NODE_ID stand in for the flags", () => {
  const env = (name: string) =>
    ({
      RELAY_NATS: "nats://10.0.0.1:4222, nats://10.0.0.2",
      RELAY_NODE_ID: "r2",
    })[
      name
    ];
  assertEquals(parseRelayConfig(["--open"], env).cluster, {
    servers: ["nats://10.0.0.1:4222", "nats://10.0.0.2"],
    nodeId: "r2",
    replicas: 1,
  });
  const flags = parseRelayConfig([
    "--open",
    "--nats",
    "nats://127.0.0.1:4222",
    "--node-id",
    "relay.1",
    "--nats-replicas",
    "3",
  ], env);
  assertEquals(flags.cluster, {
    servers: ["nats://127.0.0.1:4222"],
    nodeId: "relay.1",
    replicas: 3,
  });
  assertEquals(natsAddress(flags.cluster!.servers[0]), "127.0.0.1:4222");
});

Deno.test("a default node id is random and valid", () => {
  const a = readClusterConfig({ nats: "nats://127.0.0.1:4222" }, none)!;
  const b = readClusterConfig({ nats: "nats://127.0.0.1:4222" }, none)!;
  assertEquals(/^relay-[0-9a-f]{8}$/.test(a.nodeId), true);
  assertEquals(a.nodeId === b.nodeId, false);
});

Deno.test("bad cluster flags are refused in one line", () => {
  for (
    const [flags, message] of [
      [{ nats: "http://127.0.0.1:4222" }, "--nats must be nats"],
      [
        { nats: "nats://relay:s3cret@127.0.0.1:4222" },
        "must not carry credentials",
      ],
      [{ nats: "nats://127.0.0.1", "node-id": "a b" }, "--node-id must be"],
      [
        { nats: "nats://127.0.0.1", "nats-replicas": "0" },
        "--nats-replicas must be",
      ],
    ] as const
  ) {
    assertThrows(() => readClusterConfig(flags, none), ConfigError, message);
  }
});
