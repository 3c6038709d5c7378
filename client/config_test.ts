import { assertEquals, assertRejects, assertThrows } from "@std/assert";
import { ConfigError } from "../common/cli.ts";
import {
  completeConfig,
  DEFAULT_KMS_URL,
  DEFAULT_RELAY_URL,
  parseClientArgs,
  withCredentials,
} from "./config.ts";
import { HELP_TEXT } from "./help_text.ts";

Deno.test("flags give the settings", () => {
  assertEquals(parseClientArgs(["--help"]), { help: true });
  assertEquals(
    parseClientArgs([
      "--device",
      "Soldier_Alpha",
      "--peer=Soldier_Bravo",
      "--kms",
      "http://10.0.0.1:8000/",
      "--relay",
      "wss://relay.example:8765",
      "--max-file-mib",
      "0.5",
    ]),
    {
      help: false,
      config: {
        deviceId: "Soldier_Alpha",
        peerId: "Soldier_Bravo",
        kmsUrl: "http://10.0.0.1:8000",
        relayUrl: "wss://relay.example:8765",
        maxFileBytes: 512 * 1024,
      },
      stateDir: "state",
    },
  );
  const withFiles = parseClientArgs([
    "--credentials",
    "credentials/Soldier_Alpha.json",
    "--state",
    "state/test/",
  ]);
  assertEquals(
    !withFiles.help && [withFiles.credentials, withFiles.stateDir],
    ["credentials/Soldier_Alpha.json", "state/test"],
  );
});

Deno.test("a credentials file gives the device and token; a wrong one is refused clearly", async () => {
  const dir = await Deno.makeTempDir();
  const write = async (name: string, credentials: object) => {
    await Deno.writeTextFile(`${dir}/${name}`, JSON.stringify(credentials));
    return `${dir}/${name}`;
  };
  const token = "t0k3n-0123456789abcdef";
  const alpha = await write("alpha.json", {
    device_id: "Soldier_Alpha",
    token,
    role: "device",
  });
  const operator = await write("operator.json", {
    device_id: "Operator",
    token,
    role: "operator",
  });
  try {
    assertEquals(await withCredentials({ maxFileBytes: 1 }, alpha), {
      maxFileBytes: 1,
      deviceId: "Soldier_Alpha",
      token,
    });
    await assertRejects(
      () =>
        withCredentials({ maxFileBytes: 1, deviceId: "Soldier_Bravo" }, alpha),
      ConfigError,
      "is Soldier_Alpha's, not --device Soldier_Bravo's",
    );
    await assertRejects(
      () => withCredentials({ maxFileBytes: 1 }, operator),
      ConfigError,
      "is an operator's",
    );
    await assertRejects(
      () => withCredentials({ maxFileBytes: 1 }, `${dir}/none.json`),
      ConfigError,
      "cannot read --credentials",
    );
    assertThrows(
      () => parseClientArgs(["--credentials", alpha, "--token", token]),
      ConfigError,
      "not both",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bad flags are refused with a reason", () => {
  for (
    const args of [
      ["--device", "Soldier Alpha"],
      ["--kms", "ws://10.0.0.1:8000"],
      ["--relay", "http://10.0.0.1:8765"],
      ["--relay", "not a url"],
      ["--device", "A", "--peer", "A"],
      ["--max-file-mib", "0"],
      ["--max-file-mib", "0.0000001"],
      ["--verbose"],
      ["extra"],
    ]
  ) {
    assertThrows(
      () => parseClientArgs(args),
      ConfigError,
      undefined,
      `${args}`,
    );
  }
});

Deno.test("missing settings are asked for, bad answers asked again", async () => {
  const answers = [
    "bad id!",
    "Soldier_Alpha",
    "Soldier_Alpha",
    "Soldier_Bravo",
    "",
    "ftp://x",
    "",
  ];
  const asked: string[] = [];
  const problems: string[] = [];
  const config = await completeConfig({ maxFileBytes: 1 }, {
    ask: (question) => {
      asked.push(question);
      return Promise.resolve(answers.shift() ?? null);
    },
    report: (problem) => problems.push(problem),
  });
  assertEquals(config, {
    deviceId: "Soldier_Alpha",
    peerId: "Soldier_Bravo",
    kmsUrl: DEFAULT_KMS_URL,
    relayUrl: DEFAULT_RELAY_URL,
    maxFileBytes: 1,
  });
  assertEquals(asked.length, 7);
  assertEquals(problems.length, 3);
});

Deno.test("flags are not asked again; end of input is an error", async () => {
  const config = await completeConfig({
    deviceId: "A",
    peerId: "B",
    kmsUrl: "http://k",
    relayUrl: "ws://r",
    maxFileBytes: 1,
  }, { ask: () => Promise.reject(new Error("asked")), report: () => {} });
  assertEquals(config.peerId, "B");
  await assertRejects(
    () =>
      completeConfig({ maxFileBytes: 1 }, {
        ask: () => Promise.resolve(null),
        report: () => {},
      }),
    ConfigError,
    "end of input",
  );
});

Deno.test("--help names every flag and command, and what is protected", () => {
  for (
    const word of [
      "--device",
      "--peer",
      "--kms",
      "--relay",
      "--max-file-mib",
      "/help",
      "/quit",
      "/status",
      "/rekey",
      "/peer",
      "/file",
      DEFAULT_KMS_URL,
      DEFAULT_RELAY_URL,
      "What it protects against",
      "What it does not protect against",
    ]
  ) {
    assertEquals(HELP_TEXT.includes(word), true, word);
  }
});

Deno.test("start-up answers: the peer defaults to the other soldier, host:port is a URL, the relay is on the KMS's host", async () => {
  const asked: string[] = [];
  const answers = ["Soldier_Alpha", "", "127.0.0.1:38000", ""];
  const config = await completeConfig({ maxFileBytes: 1 }, {
    ask: (question) => {
      asked.push(question);
      return Promise.resolve(answers.shift() ?? null);
    },
    report: (problem) => {
      throw new Error(problem);
    },
  });
  assertEquals(asked[1], "Peer device ID [Soldier_Bravo]: ");
  assertEquals(asked[3], "Relay URL [ws://127.0.0.1:8765]: ");
  assertEquals(
    [config.peerId, config.kmsUrl, config.relayUrl],
    ["Soldier_Bravo", "http://127.0.0.1:38000", "ws://127.0.0.1:8765"],
  );
  const parsed = parseClientArgs([
    "--relay",
    "10.0.0.5:8765",
    "--bell",
    "alerts",
  ]);
  assertEquals(!parsed.help && parsed.config.relayUrl, "ws://10.0.0.5:8765");
  assertEquals(!parsed.help && parsed.config.bell, "alerts");
  assertThrows(
    () => parseClientArgs(["--bell", "loud"]),
    ConfigError,
    "--bell",
  );
});

Deno.test("an empty peer without a default says what to type", async () => {
  const problems: string[] = [];
  const answers = ["Soldier_Charlie", "", "Soldier_Delta", "", ""];
  await completeConfig({ maxFileBytes: 1 }, {
    ask: () => Promise.resolve(answers.shift() ?? null),
    report: (problem) => problems.push(problem),
  });
  assertEquals(problems, ["type a device id, e.g. Soldier_Bravo"]);
});

Deno.test("--room and --recorder are read and checked", () => {
  const parsed = parseClientArgs([
    "--room",
    "squad1:4",
    "--recorder",
    "sox -n {file} synth {seconds} sine 440",
  ]);
  assertEquals(!parsed.help && parsed.config.room, {
    room: "squad1",
    expected: 4,
  });
  assertEquals(
    !parsed.help && parsed.config.recorder,
    "sox -n {file} synth {seconds} sine 440",
  );
  assertThrows(
    () => parseClientArgs(["--room", "x".repeat(33)]),
    ConfigError,
    "room name is 33 characters; at most 32",
  );
  assertThrows(
    () => parseClientArgs(["--room", "squad\u00071"]),
    ConfigError,
    "control character",
  );
  assertThrows(
    () => parseClientArgs(["--room", "squad1:1"]),
    ConfigError,
    "room capacity must be a whole number from 2 to 16",
  );
  assertThrows(
    () => parseClientArgs(["--recorder", "arecord -d 5"]),
    ConfigError,
    "{file}",
  );
});

Deno.test("--relay URL1,URL2 (or the answer) lists the relays to fail over between", async () => {
  const parsed = parseClientArgs([
    "--relay",
    "10.0.0.5:8765, wss://10.0.0.6:8765",
  ]);
  assertEquals(!parsed.help && parsed.config.relayUrl, "ws://10.0.0.5:8765");
  assertEquals(!parsed.help && parsed.config.relayUrls, [
    "ws://10.0.0.5:8765",
    "wss://10.0.0.6:8765",
  ]);
  assertThrows(
    () => parseClientArgs(["--relay", "ws://a:1,http://b:2"]),
    ConfigError,
    "http://b:2",
  );
  const answers = ["Soldier_Alpha", "", "127.0.0.1:38000", "r1:8765,r2:8765"];
  const config = await completeConfig({ maxFileBytes: 1 }, {
    ask: () => Promise.resolve(answers.shift() ?? null),
    report: (problem) => {
      throw new Error(problem);
    },
  });
  assertEquals([config.relayUrl, config.relayUrls], [
    "ws://r1:8765",
    ["ws://r1:8765", "ws://r2:8765"],
  ]);
});
