import { assertEquals, assertThrows } from "@std/assert";
import { ConfigError } from "../common/cli.ts";
import { parseKmsConfig } from "./config.ts";

const env = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("defaults: 0.0.0.0:8000, data/kms, no tokens, 2% channel noise", () => {
  assertEquals(parseKmsConfig([], env({})), {
    host: "0.0.0.0",
    port: 8000,
    dataDir: "data/kms",
    requireAuth: false,
    noiseLevel: 0.02,
  });
});

Deno.test("flags win over environment variables", () => {
  const config = parseKmsConfig(
    ["--port", "9001", "--require-auth"],
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
  assertEquals(config.requireAuth, true);
  assertEquals(config.noiseLevel, 0.05);
  assertEquals(
    parseKmsConfig([], env({ KMS_REQUIRE_AUTH: "1" })).requireAuth,
    true,
  );
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
