import { assertEquals, assertThrows } from "@std/assert";
import { ConfigError } from "../common/cli.ts";
import { parseKmsConfig } from "./config.ts";

const env = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("defaults: 0.0.0.0:8000, data/kms, tokens required, 2% channel noise, 1 h tickets, 30 days or 100000 rows kept", () => {
  assertEquals(parseKmsConfig([], env({})), {
    host: "0.0.0.0",
    port: 8000,
    dataDir: "data/kms",
    open: false,
    noiseLevel: 0.02,
    ticketLifetimeSeconds: 3600,
    retention: { maxAgeDays: 30, maxRows: 100_000 },
  });
});

Deno.test("--open (or KMS_OPEN=1) is the seeds' open mode; --require-auth is the default and contradicts it", () => {
  assertEquals(parseKmsConfig(["--open"], env({})).open, true);
  assertEquals(parseKmsConfig([], env({ KMS_OPEN: "1" })).open, true);
  assertEquals(parseKmsConfig(["--require-auth"], env({})).open, false);
  assertEquals(parseKmsConfig([], env({ KMS_REQUIRE_AUTH: "1" })).open, false);
  assertThrows(
    () => parseKmsConfig(["--open", "--require-auth"], env({})),
    ConfigError,
    "contradict",
  );
});

Deno.test("ticket lifetime and retention flags", () => {
  const config = parseKmsConfig([
    "--ticket-lifetime",
    "600",
    "--retain-days",
    "7",
    "--retain-rows",
    "5000",
  ], env({}));
  assertEquals(config.ticketLifetimeSeconds, 600);
  assertEquals(config.retention, { maxAgeDays: 7, maxRows: 5000 });
  for (
    const args of [
      ["--ticket-lifetime", "10"],
      ["--retain-days", "0"],
      ["--retain-rows", "1e3"],
      ["--retain-rows", "19"],
      ["--retain-rows", "-5"],
    ]
  ) {
    assertThrows(
      () => parseKmsConfig(args, env({})),
      ConfigError,
      args[0].slice(2),
    );
  }
});

Deno.test("flags win over environment variables", () => {
  const config = parseKmsConfig(
    ["--port", "9001", "--open"],
    env({
      KMS_PORT: "7000",
      KMS_HOST: "127.0.0.1",
      KMS_DATA: "/tmp/k",
      KMS_NOISE: "0.05",
    }),
  );
  assertEquals(config.port, 9001);
  assertEquals(config.host, "127.0.0.1");
  assertEquals(config.dataDir, "/tmp/k");
  assertEquals(config.open, true);
  assertEquals(config.noiseLevel, 0.05);
});

Deno.test("bad values are refused with a clear ConfigError", () => {
  assertThrows(
    () => parseKmsConfig(["--port", "70000"], env({})),
    ConfigError,
    "port",
  );
  for (const port of ["abc", "0x1F40", ""]) {
    assertThrows(
      () => parseKmsConfig(["--port", port], env({})),
      ConfigError,
      "port",
    );
  }
  assertThrows(
    () => parseKmsConfig(["--noise", "0.9"], env({})),
    ConfigError,
    "noise",
  );
  assertThrows(
    () => parseKmsConfig(["--bogus"], env({})),
    ConfigError,
    "unknown option",
  );
});
