import { assertEquals, assertThrows } from "@std/assert";
import { ConfigError } from "../common/cli.ts";
import { DEMO_LINK_SETTINGS } from "../quantum/qkd_link.ts";
import { parseKmsConfig } from "./config.ts";

const env = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("defaults: 0.0.0.0:8000, data/kms, tokens required, the demo link (2% misalignment, so QBER about 2%) and a 2^24-bit pool, ETSI over mutual TLS on 8443 with data/kms/pki's files, 1 h tickets, 30 days or 100000 rows kept", () => {
  assertEquals(parseKmsConfig([], env({})), {
    host: "0.0.0.0",
    port: 8000,
    dataDir: "data/kms",
    open: false,
    link: {
      settings: { ...DEMO_LINK_SETTINGS },
      epsSec: 1e-10,
      epsCor: 1e-15,
      poolCapacityBits: 16_777_216,
    },
    tls: {
      port: 8443,
      cert: "data/kms/pki/kms.pem",
      key: "data/kms/pki/kms.key",
      ca: "data/kms/pki/ca.pem",
      saeId: "cn",
      explicit: false,
    },
    ticketLifetimeSeconds: 3600,
    retention: { maxAgeDays: 30, maxRows: 100_000 },
  });
});

Deno.test("ETSI over mutual TLS: --https-port (or KMS_HTTPS_PORT; 0 is off) and the certificate files are explicit, the defaults follow --data, --tls-sae-id is cn or san-uri", () => {
  const tls = (args: string[], vars: Record<string, string> = {}) =>
    parseKmsConfig(args, env(vars)).tls;
  assertEquals(tls(["--data", "data/x"]).ca, "data/x/pki/ca.pem");
  assertEquals(tls(["--data", "data/x"]).explicit, false);
  assertEquals(tls(["--https-port", "9443"]).port, 9443);
  assertEquals(tls(["--https-port", "9443"]).explicit, true);
  assertEquals(tls([], { KMS_HTTPS_PORT: "0" }).port, 0);
  assertEquals(tls([], { KMS_HTTPS_PORT: "0" }).explicit, true);
  assertEquals(tls(["--tls-ca", "ca.pem"]), {
    ...tls([]),
    ca: "ca.pem",
    explicit: true,
  });
  assertEquals(tls(["--tls-sae-id", "san-uri"]).saeId, "san-uri");
  assertThrows(
    () => tls(["--tls-sae-id", "dns"]),
    ConfigError,
    "--tls-sae-id must be cn or san-uri",
  );
  assertThrows(() => tls(["--https-port", "x"]), ConfigError, "https-port");
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
  assertEquals(config.link.settings.misalignmentError, 0.05);
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
    () => parseKmsConfig([], env({ KMS_NOISE: "lots" })),
    ConfigError,
    "noise",
  );
  assertThrows(
    () => parseKmsConfig(["--bogus"], env({})),
    ConfigError,
    "unknown option",
  );
});

Deno.test("link flags: every setting of the simulated link, its finite-key ε's and the pool's capacity", () => {
  const { link } = parseKmsConfig([
    "--distance-km",
    "50",
    "--detector-efficiency",
    "0.2",
    "--dark-count",
    "1e-6",
    "--misalignment",
    "0.01",
    "--intensities",
    "0.6,0.1,0.0002",
    "--intensity-probabilities",
    "0.5,0.3,0.2",
    "--key-basis-probability",
    "0.8",
    "--pulse-rate",
    "2.5e9",
    "--block-size",
    "100000",
    "--eps-sec",
    "1e-9",
    "--eps-cor",
    "1e-12",
    "--pool-capacity-bits",
    "65536",
  ], env({ KMS_NOISE: "0.3" }));
  assertEquals(link, {
    settings: {
      ...DEMO_LINK_SETTINGS,
      distanceKm: 50,
      detectorEfficiency: 0.2,
      darkCountProbability: 1e-6,
      misalignmentError: 0.01,
      intensities: [0.6, 0.1, 0.0002],
      intensityProbabilities: [0.5, 0.3, 0.2],
      keyBasisProbability: 0.8,
      pulseRate: 2.5e9,
      blockSize: 100_000,
    },
    epsSec: 1e-9,
    epsCor: 1e-12,
    poolCapacityBits: 65_536,
  });
  assertEquals(
    parseKmsConfig(["--noise", "0.04"], env({})).link.settings
      .misalignmentError,
    0.04,
    "--noise is --misalignment's old name",
  );
});

Deno.test("bad link flags are refused with a ConfigError naming the flag", () => {
  const cases: [string[], string][] = [
    [["--distance-km", "-1"], "distance-km"],
    [["--distance-km", "0x10"], "distance-km"],
    [["--detector-efficiency", "0"], "detector-efficiency"],
    [["--detector-efficiency", "1.5"], "detector-efficiency"],
    [["--dark-count", ""], "dark-count"],
    [["--misalignment", "0.6"], "misalignment"],
    [["--noise", "abc"], "noise"],
    [["--intensities", "0.5,0.2"], "intensities"],
    [["--intensities", "0.5,x,0"], "intensities"],
    [["--intensities", "0.1,0.2,0.0002"], "intensities"],
    [["--intensity-probabilities", "0.5,0.5,0.5"], "intensityProbabilities"],
    [["--key-basis-probability", "1"], "keyBasisProbability"],
    [["--pulse-rate", "0"], "pulse-rate"],
    [["--pulse-rate", "Infinity"], "pulse-rate"],
    [["--block-size", "1.5"], "block-size"],
    [["--block-size", "10"], "blockSize"],
    [["--eps-sec", "0"], "eps-sec"],
    [["--eps-cor", "2"], "eps-cor"],
    [["--pool-capacity-bits", "100"], "pool-capacity-bits"],
    [["--pool-capacity-bits", "65537"], "multiple of 8"],
  ];
  for (const [args, named] of cases) {
    assertThrows(() => parseKmsConfig(args, env({})), ConfigError, named);
  }
});
