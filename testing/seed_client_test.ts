/**
 * The seeds' own soldier app (QSTCS v3 report, listing 5.5, in Python) still
 * chats through our KMS and relay when both are started with `--open`, the
 * seeds' insecure mode: two copies of it exchange a line each way.
 */
import { assertStringIncludes } from "@std/assert";
import { removeDataDir, startKms } from "../kms/_test_kms.ts";
import { startRelay } from "../relay/_test_relay.ts";
import { PROJECT_ROOT } from "../common/service_process.ts";
import { delay, TextLineStream } from "../common/std.ts";
import { skipUnless } from "./skip.ts";

const NAME = "the seeds' Python client chats through an --open KMS and relay";
// Debian's interpreter: the one that sees python3-requests, -websockets and
// -cryptography (a pyenv python3 first on PATH would not).
const PYTHON = "/usr/bin/python3";
const APP = `${PROJECT_ROOT}testing/seed_client/client_app.py`;

async function pythonMissing(): Promise<string | undefined> {
  try {
    const { code, stderr } = await new Deno.Command(PYTHON, {
      args: ["-c", "import requests, websockets, cryptography"],
      stderr: "piped",
    }).output();
    if (code === 0) return undefined;
    return `${PYTHON} lacks python3-requests, python3-websockets or python3-cryptography: ${
      new TextDecoder().decode(stderr).trim().split("\n").at(-1)
    }`;
  } catch {
    return `${PYTHON} is not installed`;
  }
}

/** One seed client with its stdin and the lines it printed. */
function seedClient(args: string[]) {
  const child = new Deno.Command(PYTHON, {
    args: ["-u", APP, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const reading = child.stdout.pipeThrough(new TextDecoderStream())
    .pipeThrough(new TextLineStream());
  (async () => {
    for await (const line of reading) lines.push(line);
  })();
  const errors = new Response(child.stderr).text();
  const writer = child.stdin.getWriter();
  const stop = () => {
    try {
      child.kill("SIGKILL");
    } catch {
      // It has exited already.
    }
  };
  return {
    lines,
    say: (text: string) => writer.write(new TextEncoder().encode(text + "\n")),
    async until(pattern: RegExp, what: string) {
      for (let waited = 0; waited < 15_000; waited += 50) {
        if (lines.some((line) => pattern.test(line))) return;
        await delay(50);
      }
      stop();
      throw new Error(
        `${what}: no line matched ${pattern}\nstdout:\n${
          lines.join("\n")
        }\nstderr:\n${await errors}`,
      );
    },
    async [Symbol.asyncDispose]() {
      stop();
      await child.status;
      await errors;
    },
  };
}

Deno.test(NAME, async () => {
  if (skipUnless(NAME, await pythonMissing())) return;
  const kms = await startKms({ open: true, args: ["--noise", "0.02"] });
  try {
    await using relay = await startRelay({ open: true });
    const args = (me: string, peer: string) => [me, peer, kms.url, relay.url];
    await using alpha = seedClient(args("Soldier_Alpha", "Soldier_Bravo"));
    await using bravo = seedClient(args("Soldier_Bravo", "Soldier_Alpha"));
    const keyLine = /^\[\+\] Key received\. QBER:\d+\.\d% \| GREEN$/;
    await alpha.until(keyLine, "Alpha's key");
    await bravo.until(keyLine, "Bravo's key");
    // Both have registered once the relay counts them online.
    for (let waited = 0; waited < 10_000; waited += 50) {
      if ((await relay.metrics()).get("qstcs_relay_devices_online") === 2) {
        break;
      }
      await delay(50);
    }
    await alpha.say("Hold position at grid 7");
    await bravo.until(
      /Soldier_Alpha> Hold position at grid 7$/,
      "Bravo hears Alpha",
    );
    await bravo.say("Copy, holding");
    await alpha.until(/Soldier_Bravo> Copy, holding$/, "Alpha hears Bravo");
    for (const client of [alpha, bravo]) {
      assertStringIncludes(client.lines.join("\n"), "Key received");
    }
  } finally {
    await kms.stop();
    await removeDataDir(kms.dataDir);
  }
});
