/**
 * The seed's three-act demo across a real router, in network namespaces:
 * two laptops (`alpha`, `bravo`) each running a real client, a `router`
 * running `router/router_guard.sh` under BusyBox with real iptables, and a
 * `server` running the KMS, the relay and the dashboard with the same
 * permission sets and the same secure set-up as `deno task demo` (devices and
 * operator enrolled into credentials files, tokens required, tickets
 * checked, the clients started with `--credentials`). tcpdump records the server's
 * traffic, so the test can show that no plaintext and no key crossed the
 * network in clear.
 *
 * Needs root, ip, busybox, iptables and tcpdump (installed by `.ci/run`);
 * without them it warns locally and fails in CI.
 */

import { assert, assertEquals } from "@std/assert";
import {
  ADDR,
  createTopology,
  findTool,
  missingPrerequisite,
  nsRun,
} from "../testing/netns.ts";
import { GuardProcess, makeGuardBin } from "../testing/router_guard_process.ts";
import { skipUnless } from "../testing/skip.ts";
import { removeDataDir, testDataDir } from "../kms/_test_kms.ts";
import {
  assertShownOnce,
  chatLine,
  KEY_READY,
  linesMatching,
  startClient,
  stopClients,
  type TestClientProcess,
  WAIT_MS,
  waitForCount,
  waitForEmptyOutbox,
} from "../client/_test_client.ts";
import { DEFAULT_PORTS, startStack } from "./stack.ts";
import { credentialsFile, readToken } from "./enrollment.ts";
import { PROJECT_ROOT } from "../common/service_process.ts";

const TEST_NAME =
  "three acts across a real router: chat, attack and block, recovery";
const POLL_INTERVAL_S = 3;
const ALPHA = "Soldier_Alpha";
const BRAVO = "Soldier_Bravo";
const KMS_URL = `http://${ADDR.server}:${DEFAULT_PORTS.kms}`;
const RELAY_URL = `ws://${ADDR.server}:${DEFAULT_PORTS.relay}`;

const RED = /⚠ QUANTUM LINK RED \(QBER=\d+\.\d%\)/;
const LOST =
  /^\[\w+\] ❌ Connection lost — quantum channel may be compromised\. Awaiting re-key\.$/;

/**
 * Runs `busybox wget` inside `ns`; resolves with its output, or null on
 * failure. Debian's BusyBox wget has no `-T` (and crashes on it), so the
 * `timeout` applet bounds it, as on a router without that feature.
 */
async function wget(
  ns: string,
  url: string,
  options: { post?: unknown; timeoutS?: number; token?: string } = {},
): Promise<string | null> {
  const busybox = findTool("busybox")!;
  const args = ["timeout", String(options.timeoutS ?? 5), busybox, "wget"];
  args.push("-q", "-O-");
  if (options.token !== undefined) {
    // BusyBox wget takes headers only as arguments: the token is on this
    // test's process list for a moment, which the demo itself never does.
    args.push("--header", `Authorization: Bearer ${options.token}`);
  }
  if (options.post !== undefined) {
    args.push(
      "--header",
      "Content-Type: application/json",
      "--post-data",
      JSON.stringify(options.post),
    );
  }
  const result = await nsRun(ns, busybox, [...args, url], false);
  return result.code === 0 ? result.stdout : null;
}

/** tcpdump writing everything the server's network card sees to a file. */
async function startCapture(
  ns: string,
  file: string,
): Promise<() => Promise<Uint8Array>> {
  const child = new Deno.Command(findTool("ip")!, {
    args: [
      "netns",
      "exec",
      ns,
      findTool("tcpdump")!,
      "-i",
      "eth0",
      "-U",
      "-n",
      "-s",
      "0",
      "-w",
      file,
    ],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let said = "";
  while (!said.includes("listening on")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`tcpdump did not start: ${said}`);
    said += value;
  }
  // Keep reading, so tcpdump never blocks on a full pipe.
  const drained = (async () => {
    while (!(await reader.read()).done);
  })();
  return async () => {
    try {
      child.kill("SIGINT");
    } catch {
      // already gone
    }
    await child.status;
    await drained;
    return await Deno.readFile(file);
  };
}

/** The ways a 32-byte key could show in a capture or a log. */
function keySpellings(keyHex: string): string[] {
  const bytes = Uint8Array.fromHex(keyHex);
  return [
    keyHex,
    keyHex.toUpperCase(),
    bytes.toBase64(),
    bytes.toBase64({ alphabet: "base64url" }),
  ];
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (haystack[i + j] !== needle[j]) continue outer;
    }
    return true;
  }
  return false;
}

Deno.test(TEST_NAME, async () => {
  const reason = await missingPrerequisite(["iptables", "tcpdump"]);
  if (skipUnless(TEST_NAME, reason)) return;
  const cleanups: (() => Promise<unknown>)[] = [];
  const clients: TestClientProcess[] = [];
  try {
    const topo = await createTopology({ lan: ["alpha", "bravo"] });
    cleanups.push(() => topo.destroy());
    const pcapDir = await Deno.makeTempDir({ prefix: "qstcs_e2e_" });
    cleanups.push(() => Deno.remove(pcapDir, { recursive: true }));
    const stopCapture = await startCapture(
      topo.server,
      `${pcapDir}/server.pcap`,
    );
    cleanups.push(() => stopCapture());

    // The server: the demo's three processes, with the demo's permission sets.
    const dataDir = testDataDir();
    cleanups.push(() => removeDataDir(dataDir));
    const credentialsDir = `credentials/${dataDir.replace(/^data\//, "")}`;
    cleanups.push(() =>
      Deno.remove(`${PROJECT_ROOT}${credentialsDir}`, { recursive: true })
    );
    const stack = await startStack({
      netns: topo.server,
      dataDir,
      credentialsDir,
    });
    cleanups.push(() => stack.stop());
    const tokenOf = (name: string) =>
      readToken(credentialsFile(credentialsDir, name));
    const operatorToken = await tokenOf("Operator");
    const alphaToken = await tokenOf(ALPHA);

    // The router: the real guard script under BusyBox, real iptables.
    const bin = await makeGuardBin(["iptables"]);
    cleanups.push(() => bin.remove());
    const guard = new GuardProcess(topo.router, bin, {
      KMS_HOST: ADDR.server,
      KMS_PORT: String(DEFAULT_PORTS.kms),
      CHAT_PORT: String(DEFAULT_PORTS.relay),
      POLL_INTERVAL: String(POLL_INTERVAL_S),
      IPTABLES: "iptables",
    });
    cleanups.push(() => guard.stop());
    await guard.waitFor(/^Status: GREEN — Chat traffic ALLOWED$/, WAIT_MS);

    const [alpha, bravo] = await Promise.all([
      startClient({
        device: ALPHA,
        peer: BRAVO,
        kmsUrl: KMS_URL,
        relayUrl: RELAY_URL,
        netns: topo.lan.alpha.ns,
        args: ["--credentials", credentialsFile(credentialsDir, ALPHA)],
      }),
      startClient({
        device: BRAVO,
        peer: ALPHA,
        kmsUrl: KMS_URL,
        relayUrl: RELAY_URL,
        netns: topo.lan.bravo.ns,
        args: ["--credentials", credentialsFile(credentialsDir, BRAVO)],
      }),
    ]);
    clients.push(alpha, bravo);
    cleanups.push(() => stopClients(alpha, bravo));
    const kmsKey = async (keyId: string) => {
      // Asked on the server's own loopback, so the answer is not captured.
      const answer = await wget(
        topo.server,
        `http://127.0.0.1:${DEFAULT_PORTS.kms}/get_session_key`,
        {
          post: { device_id: ALPHA, peer_id: BRAVO, key_id: keyId },
          token: alphaToken,
        },
      );
      const keyHex = JSON.parse(answer ?? "{}").key_hex;
      assert(
        typeof keyHex === "string" && keyHex.length === 64,
        `no key ${keyId}: ${answer}`,
      );
      return keyHex as string;
    };
    const plaintexts: string[] = [];
    const say = async (client: TestClientProcess, text: string) => {
      plaintexts.push(text);
      await client.process.type(text);
    };

    // Act 1: the soldiers chat through the router.
    const [readyA] = await Promise.all(
      [alpha, bravo].map((c) => c.process.waitForLine(KEY_READY, WAIT_MS)),
    );
    await alpha.process.waitForLine(
      /✓ Quantum key established \(QBER=\d+\.\d%\) \| Status: GREEN/,
    );
    const keyIds = [readyA.match(KEY_READY)![1]];
    await say(alpha, "Act one: convoy spotted at grid 42");
    await bravo.process.waitForLine(
      chatLine(ALPHA, "Act one: convoy spotted at grid 42"),
      WAIT_MS,
    );
    await say(bravo, "Act one: copy, holding position");
    await alpha.process.waitForLine(
      chatLine(BRAVO, "Act one: copy, holding position"),
      WAIT_MS,
    );
    const keys = [await kmsKey(keyIds[0])];

    // A laptop on the LAN without the operator's token cannot force one:
    // the seeds' KMS let any curl cut chat for everybody.
    assertEquals(
      await wget(topo.lan.alpha.ns, `${KMS_URL}/force_attack`, { post: {} }),
      null,
    );
    assert(
      (await wget(topo.lan.alpha.ns, `${KMS_URL}/link_status`))?.includes(
        '"status":"GREEN"',
      ),
    );

    // Act 2: Eve. The guard cuts the chat port; the clients notice. The
    // guard may poll before the attack's answer comes back.
    const mark = guard.messages.length;
    const attack = await wget(
      topo.server,
      `http://127.0.0.1:${DEFAULT_PORTS.kms}/force_attack`,
      { post: {}, timeoutS: 30, token: operatorToken },
    );
    assertEquals(JSON.parse(attack ?? "{}").status, "RED", String(attack));
    await guard.waitFor(
      /^Chat traffic BLOCKED at network layer$/,
      (POLL_INTERVAL_S + 2) * 1000,
      mark,
    );
    const rule = await nsRun(topo.router, findTool("iptables")!, [
      "-C",
      "FORWARD",
      "-p",
      "tcp",
      "--dport",
      String(DEFAULT_PORTS.relay),
      "-j",
      "DROP",
    ], false);
    assertEquals(
      rule.code,
      0,
      "the DROP rule is in the router's FORWARD chain",
    );
    // The chat port is dark from a laptop; the KMS still answers.
    assertEquals(
      await wget(
        topo.lan.alpha.ns,
        `http://${ADDR.server}:${DEFAULT_PORTS.relay}/healthz`,
        { timeoutS: 2 },
      ),
      null,
    );
    assert(
      (await wget(topo.lan.alpha.ns, `${KMS_URL}/link_status`))?.includes(
        '"status":"RED"',
      ),
    );
    await Promise.all(
      [alpha, bravo].map((c) => c.process.waitForLine(RED, WAIT_MS)),
    );
    await Promise.all(
      [alpha, bravo].map((c) => c.process.waitForLine(LOST, WAIT_MS)),
    );
    const duringOutage = [
      [alpha, "Outage: requesting extraction"],
      [alpha, "Outage: two wounded"],
      [bravo, "Outage: extraction in 10 minutes"],
    ] as const;
    for (const [client, text] of duringOutage) await say(client, text);
    await alpha.process.waitForLine(/kept .*"Outage: two wounded"/, WAIT_MS);

    // Act 3: the operator resets; the guard lifts the block; both re-key.
    const reset = await wget(
      topo.server,
      `http://127.0.0.1:${DEFAULT_PORTS.kms}/reset`,
      { post: {}, token: operatorToken },
    );
    assertEquals(JSON.parse(reset ?? "{}").status, "reset_complete");
    await guard.waitFor(
      /^Removing firewall block\. Chat traffic ALLOWED\.$/,
      WAIT_MS,
      mark,
    );
    await Promise.all(
      [alpha, bravo].map((c) =>
        waitForCount(c.process, KEY_READY, { count: 2 })
      ),
    );
    const readyAgain = linesMatching(alpha.process, KEY_READY).at(-1)!;
    keyIds.push(readyAgain.match(KEY_READY)![1]);
    assert(keyIds[1] !== keyIds[0], "a fresh key after the reset");
    for (const [client, text] of duringOutage) {
      const receiver = client === alpha ? bravo : alpha;
      await receiver.process.waitForLine(
        chatLine(client.deviceId, text),
        WAIT_MS,
      );
    }
    await say(alpha, "Act three: back on air");
    await bravo.process.waitForLine(
      chatLine(ALPHA, "Act three: back on air"),
      WAIT_MS,
    );
    keys.push(await kmsKey(keyIds[1]));
    await waitForEmptyOutbox(alpha);
    await waitForEmptyOutbox(bravo);
    // Exactly once: each line typed during the outage shows once.
    for (const [client, text] of duringOutage) {
      const receiver = client === alpha ? bravo : alpha;
      assertShownOnce(receiver, { sender: client.deviceId, text });
    }
    await stopClients(alpha, bravo);

    // Zero knowledge: the relay's log and everything on the server's wire.
    const capture = await stopCapture();
    const encoder = new TextEncoder();
    assert(
      contains(capture, encoder.encode('"type":"chat"')),
      "the capture holds the chat traffic",
    );
    assert(contains(capture, encoder.encode(`"sender":"${ALPHA}"`)));
    const secrets = [...plaintexts, ...keys.flatMap(keySpellings)];
    const relayLog = stack.services.relay.output;
    assert(relayLog.includes(ALPHA), "the relay's log names the devices");
    for (const secret of secrets) {
      assert(
        !contains(capture, encoder.encode(secret)),
        `captured in clear: ${secret}`,
      );
      assert(!relayLog.includes(secret), `in the relay's log: ${secret}`);
    }
    for (const key of keys) {
      assert(
        !contains(capture, Uint8Array.fromHex(key)),
        "a raw key on the wire",
      );
    }
  } catch (error) {
    for (const client of clients) {
      console.error(`--- ${client.deviceId}:\n${client.process.tail(60)}`);
    }
    throw error;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  }
});
