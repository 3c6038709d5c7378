import { assertEquals, assertThrows } from "@std/assert";
import { ConfigError } from "../common/cli.ts";
import { DEFAULT_LIMITS, parseRelayConfig, RELAY_ENV } from "./config.ts";

const noEnv = () => undefined;

Deno.test("parseRelayConfig() defaults to 0.0.0.0:8765 and the default limits", () => {
  assertEquals(parseRelayConfig(["--open"], noEnv), {
    host: "0.0.0.0",
    port: 8765,
    ...DEFAULT_LIMITS,
    open: true,
  });
  assertEquals(DEFAULT_LIMITS.maxFrameBytes, 65536);
  assertEquals(DEFAULT_LIMITS.senderShare, 0.25);
});

Deno.test("parseRelayConfig() needs a ticket key source or --open", () => {
  assertThrows(
    () => parseRelayConfig([], noEnv),
    ConfigError,
    "give --ticket-key FILE or --kms URL",
  );
  assertEquals(
    parseRelayConfig([], (name) => name === "RELAY_OPEN" ? "1" : undefined)
      .open,
    true,
  );
  const file = parseRelayConfig(["--ticket-key", "k.pub"], noEnv);
  assertEquals([file.ticketKey, file.open], [{ file: "k.pub" }, false]);
  const kms = parseRelayConfig(["--kms", "http://10.0.0.5:8000/"], noEnv);
  assertEquals(kms.ticketKey, { kmsUrl: "http://10.0.0.5:8000" });
  const both = parseRelayConfig(["--kms", "http://kms:8000", "--open"], noEnv);
  assertEquals([both.ticketKey, both.open], [
    { kmsUrl: "http://kms:8000" },
    true,
  ]);
  for (
    const args of [
      ["--ticket-key", "k.pub", "--kms", "http://kms:8000"],
      ["--kms", "kms:8000"],
      ["--ticket-key", ""],
    ]
  ) {
    assertThrows(() => parseRelayConfig(args, noEnv), ConfigError, undefined);
  }
});

Deno.test("parseRelayConfig() takes flags over environment variables", () => {
  const env = (name: string) =>
    ({
      RELAY_HOST: "127.0.0.1",
      RELAY_PORT: "9000",
      RELAY_MAX_FRAME_BYTES: "2048",
    })[name];
  const fromEnv = parseRelayConfig(["--open"], env);
  assertEquals([fromEnv.host, fromEnv.port, fromEnv.maxFrameBytes], [
    "127.0.0.1",
    9000,
    2048,
  ]);
  const config = parseRelayConfig([
    "--open",
    "--port",
    "9001",
    "--max-frame-bytes",
    "4096",
    "--rate-limit",
    "5",
    "--max-buffered-bytes",
    "1000",
    "--queue-max-frames",
    "3",
    "--queue-max-bytes",
    "4000",
    "--queue-total-bytes",
    "8000",
    "--queue-max-age-ms",
    "250",
    "--sender-share",
    "0.5",
    "--idle-timeout",
    "0.5",
    "--max-connections",
    "7",
  ], env);
  assertEquals(config, {
    host: "127.0.0.1",
    port: 9001,
    maxFrameBytes: 4096,
    rateLimit: 5,
    maxBufferedBytes: 1000,
    queueMaxFrames: 3,
    queueMaxBytes: 4000,
    queueTotalBytes: 8000,
    queueMaxAgeMs: 250,
    senderShare: 0.5,
    idleTimeoutSeconds: 0.5,
    maxConnections: 7,
    maxConnectionsPerAddress: 64,
    open: true,
  });
});

Deno.test("parseRelayConfig() refuses unknown flags and values out of range", () => {
  const bad = [
    ["--verbose"],
    ["--port", "65536"],
    ["--port", "-1"],
    ["--port", "http"],
    ["--max-frame-bytes", "0"],
    ["--max-frame-bytes", "1.5"],
    ["--rate-limit", ""],
    ["--queue-max-age-ms", "soon"],
    ["--idle-timeout", "-1"],
    ["--idle-timeout", "Infinity"],
    ["--sender-share", "1.5"],
    ["--sender-share", "0"],
  ];
  for (const args of bad) {
    assertThrows(
      () => parseRelayConfig([...args, "--open"], noEnv),
      ConfigError,
      undefined,
      args.join(" "),
    );
  }
  assertThrows(
    () =>
      parseRelayConfig(
        ["--open"],
        (name) => name === "RELAY_MAX_FRAME_BYTES" ? "big" : undefined,
      ),
    ConfigError,
    "--max-frame-bytes must be a positive integer, got big",
  );
});

Deno.test("the relay's permission set in deno.json names exactly the variables it reads", async () => {
  const config = JSON.parse(
    await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
  );
  // Its port, a KMS on this host for --kms, and the key file the KMS writes
  // for --ticket-key; none of the KMS's secret files.
  assertEquals(config.permissions.relay, {
    net: ["0.0.0.0:8765", "localhost:8000", "127.0.0.1:8000"],
    read: ["./data/kms/ticket_key.pub", "/dev/null"],
    env: [...RELAY_ENV],
  });
  assertEquals(config.tasks.relay, "deno run -P=relay relay/main.ts");
});
