import { assertEquals, assertRejects, assertThrows } from "@std/assert";
import { ConfigError } from "../common/cli.ts";
import { parseDashboardConfig, readOperatorCredentials } from "./config.ts";

const noEnv = () => undefined;

Deno.test("defaults: 0.0.0.0:8501 and the KMS on localhost:8000", () => {
  assertEquals(parseDashboardConfig([], noEnv), {
    host: "0.0.0.0",
    port: 8501,
    kmsUrl: "http://localhost:8000",
    operatorCredentials: undefined,
  });
});

Deno.test("flags win over the environment", () => {
  const env = (name: string) =>
    ({
      DASHBOARD_HOST: "10.0.0.2",
      DASHBOARD_PORT: "9000",
      KMS_URL: "http://10.0.0.5:8000",
      DASHBOARD_OPERATOR_CREDENTIALS: "credentials/Operator.json",
    })[name];
  assertEquals(parseDashboardConfig([], env), {
    host: "10.0.0.2",
    port: 9000,
    kmsUrl: "http://10.0.0.5:8000",
    operatorCredentials: "credentials/Operator.json",
  });
  assertEquals(
    parseDashboardConfig(
      [
        "--port",
        "8600",
        "--kms",
        "http://127.0.0.1:41000/",
        "--host=::1",
        "--operator-credentials",
        "credentials/Night.json",
      ],
      env,
    ),
    {
      host: "::1",
      port: 8600,
      kmsUrl: "http://127.0.0.1:41000",
      operatorCredentials: "credentials/Night.json",
    },
  );
});

Deno.test("bad settings are refused with the reason", () => {
  // `Number()` alone took the hexadecimal and the empty spellings.
  for (const port of ["x", "0x1F40", ""]) {
    assertThrows(
      () => parseDashboardConfig(["--port", port], noEnv),
      ConfigError,
      "port",
    );
  }
  assertThrows(
    () => parseDashboardConfig(["--port", "70000"], noEnv),
    ConfigError,
  );
  assertThrows(
    () => parseDashboardConfig(["--kms", "nope"], noEnv),
    ConfigError,
    "URL",
  );
  assertThrows(
    () => parseDashboardConfig(["--kms", "ftp://kms"], noEnv),
    ConfigError,
    "http",
  );
  assertThrows(
    () => parseDashboardConfig(["--bogus"], noEnv),
    ConfigError,
    "unknown option",
  );
});

Deno.test("an operator credentials file that is missing, malformed or a device's is refused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assertRejects(
      () => readOperatorCredentials(`${dir}/none.json`),
      ConfigError,
      "cannot read it",
    );
    await Deno.writeTextFile(`${dir}/bad.json`, '{"device_id":"Operator"}');
    await assertRejects(
      () => readOperatorCredentials(`${dir}/bad.json`),
      ConfigError,
      "not a credentials file (token is missing or malformed)",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--relay and --relay-token-file (or their variables) come together", () => {
  const config = parseDashboardConfig(
    ["--relay", "http://127.0.0.1:8765/", "--relay-token-file", "r.token"],
    noEnv,
  );
  assertEquals([config.relayUrl, config.relayTokenFile], [
    "http://127.0.0.1:8765",
    "r.token",
  ]);
  const env: Record<string, string> = {
    DASHBOARD_RELAY_URL: "http://relay:8765",
    DASHBOARD_RELAY_TOKEN_FILE: "t",
  };
  assertEquals(
    parseDashboardConfig([], (name) => env[name]).relayUrl,
    "http://relay:8765",
  );
  assertEquals(parseDashboardConfig([], noEnv).relayUrl, undefined);
  assertThrows(
    () => parseDashboardConfig(["--relay", "http://relay:8765"], noEnv),
    ConfigError,
    "together",
  );
});
