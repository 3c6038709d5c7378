/**
 * `deno task demo` and `deno task tour` as an operator runs them: the same
 * entry and permission set, on free loopback ports, a throwaway KMS data
 * directory, credentials folder and state folder, so a developer's own demo
 * data is left alone.
 */

import {
  assert,
  assertEquals,
  assertRejects,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { removeDataDir, testDataDir } from "../kms/_test_kms.ts";
import { ConfigError } from "../common/cli.ts";
import {
  parseCredentialsDir,
  parseDataDir,
  parsePorts,
  parseStateDir,
} from "./main.ts";
import {
  freePort,
  PROJECT_ROOT,
  serviceArgs,
  ServiceProcess,
  startService,
} from "../common/service_process.ts";
import { waitUntilAnswering } from "./stack.ts";

const WAIT_MS = 60_000;

/** Starts demo/main.ts with `args`, on fresh ports, data, credentials and state. */
async function startDemo(args: string[], ready: RegExp) {
  const ports = [freePort(), freePort(), freePort()];
  const dataDir = testDataDir();
  const name = dataDir.replace(/^data\//, "");
  const credentialsDir = `credentials/${name}`;
  const stateDir = `state/${name}`;
  const process = await startService({
    permissionSet: "demo",
    entry: "demo/main.ts",
    args: [
      ...args,
      "--host",
      "127.0.0.1",
      "--ports",
      ports.join(","),
      "--data",
      dataDir,
      "--credentials",
      credentialsDir,
      "--state",
      stateDir,
    ],
  }, { ready, timeoutMs: WAIT_MS });
  const [kms, relay, dashboard] = ports.map((port) =>
    `http://127.0.0.1:${port}`
  );
  return {
    process,
    ports: { kms: ports[0], relay: ports[1], dashboard: ports[2] },
    urls: { kms, relay, dashboard },
    dataDir,
    credentialsDir,
    async [Symbol.asyncDispose]() {
      // SIGTERM, so a demo left running by a failed test still stops its
      // services; SIGKILL only if it does not end.
      const kill = setTimeout(() => process.stop("SIGKILL"), 10_000);
      await process.stop("SIGTERM");
      clearTimeout(kill);
      await removeDataDir(dataDir);
      for (const dir of [credentialsDir, stateDir]) {
        await Deno.remove(`${PROJECT_ROOT}${dir}`, { recursive: true })
          .catch(() => {});
      }
    },
  };
}

/** The operator's token, from the credentials file the demo enrolled. */
async function operatorToken(credentialsDir: string): Promise<string> {
  const file = `${PROJECT_ROOT}${credentialsDir}/Operator.json`;
  return JSON.parse(await Deno.readTextFile(file)).token;
}

/**
 * Ids of the processes whose command line holds `text` (from `ps`; Deno
 * asks for all permissions to read /proc), so a test can signal exactly the
 * process it means.
 */
async function pidsMentioning(text: string): Promise<number[]> {
  const { stdout } = await new Deno.Command("ps", {
    args: ["-eo", "pid=,args="],
  }).output();
  return new TextDecoder().decode(stdout).split("\n")
    .filter((line) => `${line} `.includes(text))
    .map((line) => Number.parseInt(line));
}

/** The pid of the demo's service listening on `port`. */
async function servicePid(entry: string, port: number): Promise<number> {
  const pids = await pidsMentioning(
    `${entry} --host 127.0.0.1 --port ${port} `,
  );
  assertEquals(pids.length, 1, `one ${entry} on port ${port}`);
  return pids[0];
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url);
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

Deno.test("demo: enrolls its identities, three secure services answer, the instructions name them, Ctrl-C stops all", async () => {
  await using demo = await startDemo([], /Ctrl-C stops everything/);
  const { output } = demo.process;
  const { ports, credentialsDir } = demo;
  // The identities, each in a credentials file only its owner may read.
  const folder = await Deno.stat(`${PROJECT_ROOT}${credentialsDir}`);
  assertEquals(folder.mode! & 0o777, 0o700);
  const tokens: string[] = [];
  for (
    const [name, role] of [
      ["Soldier_Alpha", "device"],
      ["Soldier_Bravo", "device"],
      ["Soldier_Charlie", "device"],
      ["Operator", "operator"],
    ]
  ) {
    const file = `${credentialsDir}/${name}.json`;
    assertStringIncludes(output, `[demo] enrolled ${name} (${role}): ${file}`);
    assertEquals(
      (await Deno.stat(`${PROJECT_ROOT}${file}`)).mode! & 0o777,
      0o600,
    );
    const credentials = JSON.parse(
      await Deno.readTextFile(`${PROJECT_ROOT}${file}`),
    );
    assertEquals([credentials.device_id, credentials.role], [name, role]);
    tokens.push(credentials.token);
  }
  // No token in the demo's output, nor on any process's command line.
  const processList = new TextDecoder().decode(
    (await new Deno.Command("ps", { args: ["-eo", "args="] }).output()).stdout,
  );
  for (const token of tokens) {
    assert(!output.includes(token), "a token in the demo's output");
    assert(!processList.includes(token), "a token on the process list");
  }
  for (const name of ["kms", "relay", "dashboard"]) {
    assertStringIncludes(
      output,
      `[demo] starting ${name}: deno run -P=${name}`,
    );
  }
  // The flags each process really runs with: the ports moved, so the
  // command line's --allow-net replaces each set's default address.
  const allowed = (name: string) =>
    output.match(
      new RegExp(`^\\[demo\\]   permission set "${name}": (.*)$`, "m"),
    )
      ?.[1];
  assert(
    allowed("kms")?.startsWith(`--allow-net=127.0.0.1:${ports.kms} `),
    allowed("kms"),
  );
  assertStringIncludes(allowed("kms")!, "--allow-write=./data ");
  assert(
    allowed("relay")?.startsWith(`--allow-net=127.0.0.1:${ports.relay} `),
    allowed("relay"),
  );
  // The relay checks tickets with the key the KMS wrote, and may read it.
  assertStringIncludes(
    output,
    `relay/main.ts --host 127.0.0.1 --port ${ports.relay} --ticket-key ${demo.dataDir}/ticket_key.pub`,
  );
  assert(
    new RegExp(`--allow-read=\\S*\\./${demo.dataDir}/ticket_key\\.pub`).test(
      allowed("relay")!,
    ),
    allowed("relay"),
  );
  assertStringIncludes(
    output,
    `--operator-credentials ${credentialsDir}/Operator.json`,
  );
  assert(
    allowed("dashboard")?.startsWith(
      `--allow-net=127.0.0.1:${ports.dashboard},127.0.0.1:${ports.kms},127.0.0.1:${ports.relay} `,
    ),
    allowed("dashboard"),
  );
  for (const name of ["kms", "relay", "dashboard"]) {
    assert(!allowed(name)?.includes("0.0.0.0:"), allowed(name));
  }
  assertStringIncludes(output, `[demo] Dashboard  ${demo.urls.dashboard}`);
  for (
    const [device, peer] of [["Soldier_Alpha", "Soldier_Bravo"], [
      "Soldier_Bravo",
      "Soldier_Alpha",
    ]]
  ) {
    assertStringIncludes(
      output,
      `deno task client --credentials ${credentialsDir}/${device}.json --peer ${peer} ` +
        `--kms ${demo.urls.kms} --relay ws://127.0.0.1:${ports.relay}`,
    );
  }
  // The guard must poll this KMS and block this relay, not the defaults.
  assertStringIncludes(
    output,
    `"KMS_HOST=127.0.0.1 KMS_PORT=${ports.kms} CHAT_PORT=${ports.relay} sh /tmp/router_guard.sh"`,
  );
  // The KMS is secure: operator actions need the operator's token (the
  // seeds' demo took them from anyone), and the devices' tokens are refused.
  assertStringIncludes(output, `token in ${credentialsDir}/Operator.json`);
  const operator = await operatorToken(credentialsDir);
  const act = (path: string, token?: string) =>
    fetch(`${demo.urls.kms}${path}`, {
      method: "POST",
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
  for (const [token, status] of [[undefined, 401], [tokens[0], 403]] as const) {
    const refused = await act("/force_attack", token);
    assertEquals(refused.status, status);
    await refused.body?.cancel();
  }
  for (
    const [path, status] of [["/force_attack", "RED"], ["/reset", "GREEN"]]
  ) {
    const done = await act(path, operator);
    assertEquals(done.status, 200, path);
    await done.body?.cancel();
    const link = await (await fetch(`${demo.urls.kms}/link_status`)).json();
    assertEquals(link.status, status, path);
  }
  const health = await (await fetch(`${demo.urls.kms}/healthz`)).json();
  assertEquals(health.auth, "required");
  assert(await answers(`${demo.urls.kms}/link_status`));
  assert(await answers(`${demo.urls.relay}/healthz`));
  assert(await answers(demo.urls.dashboard));
  const status = await demo.process.stop("SIGINT");
  assertEquals(status.code, 0, demo.process.tail());
  assertStringIncludes(
    demo.process.output,
    "[demo] stopping KMS, relay and dashboard",
  );
  for (const url of Object.values(demo.urls)) {
    assertEquals(await answers(url), false, `${url} still answers`);
  }
});

Deno.test("demo: a service that dies is reported at once with its last lines", async () => {
  await using demo = await startDemo([], /Ctrl-C stops everything/);
  Deno.kill(await servicePid("relay/main.ts", demo.ports.relay), "SIGKILL");
  const status = await demo.process.exited;
  assertEquals(status.code, 1);
  assertStringIncludes(demo.process.output, "[demo] relay exited unexpectedly");
  assert(
    /^ {2}relay\| \[RELAY\] listening on/m.test(demo.process.output),
    demo.process.tail(),
  );
  assertEquals(
    await answers(`${demo.urls.kms}/link_status`),
    false,
    "the KMS was stopped too",
  );
});

Deno.test("tour: the three acts and the squad room play by themselves and exit 0", async () => {
  await using demo = await startDemo(["--tour"], /\[tour\] Summary/);
  const status = await demo.process.exited;
  const { output } = demo.process;
  assertEquals(status.code, 0, output);
  for (const act of ["Act 1", "Act 2", "Act 3", "Squad room"]) {
    assert(new RegExp(`^\\[tour\\]   ✓ ${act}:`, "m").test(output), output);
  }
  assertStringIncludes(output, "[tour] Every act behaved as narrated.");
  assert(
    /\[Soldier_Bravo\] \[\d\d:\d\d:\d\d\] Soldier_Alpha> Requesting extraction/
      .test(output),
  );
  // The room scene: Charlie reads Alpha's room line, Alpha reads Charlie's.
  assert(
    /\[Soldier_Charlie\] \[\d\d:\d\d:\d\d\] \[squad1\] Soldier_Alpha> Squad, rally at checkpoint Delta/
      .test(output),
    output,
  );
  assert(
    /\[Soldier_Alpha\] \[\d\d:\d\d:\d\d\] \[squad1\] Soldier_Charlie> Charlie moving/
      .test(output),
    output,
  );
});

Deno.test("tour: SIGTERM stops the clients and all three services", async () => {
  await using demo = await startDemo(["--tour"], /\[tour\] ACT 2:/);
  const status = await demo.process.stop("SIGTERM");
  const { output } = demo.process;
  assertEquals(status.code, 128 + 15, output);
  assertStringIncludes(output, "[tour] interrupted by SIGTERM");
  assertStringIncludes(output, "[demo] stopping KMS, relay and dashboard");
  for (const url of Object.values(demo.urls)) {
    assertEquals(await answers(url), false, `${url} still answers`);
  }
  assertEquals(
    await pidsMentioning(`--kms ${demo.urls.kms} `),
    [],
    "a soldier's client is still running",
  );
});

Deno.test("tour: a service that dies ends the tour at once, reported", async () => {
  await using demo = await startDemo(["--tour"], /\[tour\] ACT 1:/);
  Deno.kill(await servicePid("relay/main.ts", demo.ports.relay), "SIGKILL");
  const killedAt = Date.now();
  const status = await demo.process.exited;
  const { output } = demo.process;
  assertEquals(status.code, 1, output);
  // Well before the 30 s a step of the tour may take.
  assert(Date.now() - killedAt < 10_000, `${Date.now() - killedAt} ms`);
  assertStringIncludes(output, "[demo] relay exited unexpectedly");
  assert(/^ {2}relay\| \[RELAY\] listening on/m.test(output), output);
  assertEquals(await answers(demo.urls.kms), false, "the KMS was stopped");
  assertEquals(await pidsMentioning(`--kms ${demo.urls.kms} `), []);
});

Deno.test("demo: --data outside data/ is a usage error, not a KMS crash", async () => {
  for (const data of ["/tmp/x", "../x", "data/../x", "data/x/../..", "data"]) {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: serviceArgs({
        permissionSet: "demo",
        entry: "demo/main.ts",
        args: ["--data", data],
      }),
      cwd: PROJECT_ROOT,
      env: { NO_COLOR: "1" },
    }).output();
    const said = new TextDecoder().decode(stderr);
    assertEquals(code, 2, said);
    assertEquals(stdout.length, 0, "nothing started");
    assertEquals(
      said,
      `[demo] --data needs a directory under data/ (the only place the KMS may write), e.g. data/kms, got ${data}\n`,
    );
  }
});

Deno.test("parseDataDir keeps a directory under data/, normalised", () => {
  assertEquals(parseDataDir(undefined), "data/kms");
  assertEquals(parseDataDir("data/test-1"), "data/test-1");
  assertEquals(parseDataDir("./data//x/./y/"), "data/x/y");
  assertEquals(parseDataDir("data/x/../y"), "data/y");
  for (const bad of ["", "data", "kms", "/work/main/data/x", "../data/x"]) {
    assertThrows(() => parseDataDir(bad), ConfigError, "under data/");
  }
});

Deno.test("parseCredentialsDir and parseStateDir keep credentials/ and state/ or a folder under them", () => {
  assertEquals(parseCredentialsDir(undefined), "credentials");
  assertEquals(parseCredentialsDir("./credentials/"), "credentials");
  assertEquals(parseCredentialsDir("credentials/test-1"), "credentials/test-1");
  assertEquals(parseStateDir(undefined), "state");
  assertEquals(parseStateDir("state//tour"), "state/tour");
  for (const bad of ["", "data", "/tmp/c", "credentials/../data"]) {
    assertThrows(() => parseCredentialsDir(bad), ConfigError, "credentials/");
    assertThrows(() => parseStateDir(bad), ConfigError, "state/");
  }
});

Deno.test("parsePorts takes three decimal ports and refuses other spellings", () => {
  assertEquals(parsePorts("8001,8766,8502"), {
    kms: 8001,
    relay: 8766,
    dashboard: 8502,
  });
  for (const bad of ["8001,8766", "8001,8766,0", "8001,0x1F40,8502", ",,"]) {
    assertThrows(() => parsePorts(bad), ConfigError, "--ports");
  }
});

/** A process that prints a ready line and serves nothing. */
function silentService(code: string): ServiceProcess {
  return new ServiceProcess(
    new Deno.Command(Deno.execPath(), {
      args: ["eval", code],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn(),
  );
}

Deno.test("startStack's health probe: a ready line without an answer fails with the last lines", async () => {
  const url = `http://127.0.0.1:${freePort()}/healthz`;
  const mute = silentService(
    "console.log('[FAKE] listening on'); setTimeout(() => {}, 30_000)",
  );
  try {
    await mute.waitForLine(/listening on/);
    await assertRejects(
      () => waitUntilAnswering("fake", mute, url, { timeoutMs: 1_000 }),
      Error,
      `fake said it listens but did not answer ${url} within 1000 ms`,
    );
    assertStringIncludes(
      await waitUntilAnswering("fake", mute, url, { timeoutMs: 300 })
        .catch((error) => error.message),
      "its last lines:\n[FAKE] listening on",
    );
  } finally {
    await mute.stop("SIGKILL");
  }
  const quitter = silentService("console.log('[FAKE] listening on')");
  await assertRejects(
    () => waitUntilAnswering("fake", quitter, url),
    Error,
    `fake said it listens but exited before answering ${url}`,
  );
  // Answers 503 at first, as a server still warming up might: the probe
  // keeps trying until the 200.
  const port = freePort();
  let healthy = false;
  await using _server = Deno.serve(
    { hostname: "127.0.0.1", port, onListen: () => {} },
    () => new Response(null, { status: healthy ? 200 : 503 }),
  );
  const answering = silentService("setTimeout(() => {}, 30_000)");
  try {
    setTimeout(() => healthy = true, 500);
    await waitUntilAnswering("fake", answering, `http://127.0.0.1:${port}/`);
    assert(healthy);
  } finally {
    await answering.stop("SIGKILL");
  }
});
