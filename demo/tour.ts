/**
 * `deno task tour` (or `deno task demo --tour`): plays the seeds' three-act
 * demo by itself in one terminal, with narration, and exits 0 only if every
 * act behaved as narrated.
 *
 * Act 1: two scripted soldiers chat on a GREEN link (QBER about 2%).
 * Act 2: Force Attack; the QBER jumps to about 25%, the link turns RED and the
 * soldiers are cut off and told so; a line typed now is held back.
 * Act 3: Reset; GREEN again, the soldiers re-key, the held line arrives once,
 * and they chat again.
 *
 * @module
 */

import { type ServiceProcess, startService } from "./service_process.ts";
import type { Stack } from "./stack.ts";

/** How long a step may take before the act counts as failed. */
const STEP_MS = 30_000;
/** How long a line must stay undelivered while RED. */
const HOLD_MS = 4_000;

const ALPHA = "Soldier_Alpha";
const BRAVO = "Soldier_Bravo";

function narrate(text: string): void {
  console.log(`\n[tour] ${text}`);
}

async function linkStatus(
  kmsUrl: string,
): Promise<{ status: string; qber: number }> {
  return await (await fetch(`${kmsUrl}/link_status`)).json();
}

async function post(
  kmsUrl: string,
  path: string,
): Promise<Record<string, unknown>> {
  return await (await fetch(`${kmsUrl}${path}`, { method: "POST" })).json();
}

function countLines(client: ServiceProcess, pattern: RegExp): number {
  return client.output.split("\n").filter((line) => pattern.test(line)).length;
}

/** Waits until `client` has printed `count` lines matching `pattern`. */
async function waitForCount(
  client: ServiceProcess,
  pattern: RegExp,
  count: number,
): Promise<void> {
  const deadline = Date.now() + STEP_MS;
  while (countLines(client, pattern) < count) {
    if (Date.now() > deadline) {
      throw new Error(
        `expected ${count} line(s) matching ${pattern}; last lines:\n${
          client.tail(10)
        }`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function startClient(
  stack: Stack,
  device: string,
  peer: string,
): Promise<ServiceProcess> {
  return startService({
    permissionSet: "client",
    entry: "client/main.ts",
    args: [
      "--device",
      device,
      "--peer",
      peer,
      "--kms",
      stack.kmsUrl,
      "--relay",
      stack.relayUrl,
    ],
    interactive: true,
  }, {
    ready: /Quantum key established/,
    timeoutMs: STEP_MS,
    echoPrefix: `  [${device}] `,
  });
}

const KEY_ESTABLISHED = /Quantum key established/;
const RED_WARNING = /RED/;

/** Plays the tour against a running stack; returns the exit code. */
export async function runTour(stack: Stack): Promise<number> {
  const results: [string, boolean, string][] = [];
  const act = async (name: string, body: () => Promise<string>) => {
    try {
      results.push([name, true, await body()]);
    } catch (error) {
      results.push([
        name,
        false,
        error instanceof Error ? error.message : String(error),
      ]);
    }
  };
  console.log(
    `[tour] Dashboard: ${stack.dashboardUrl} (open it to watch the link live)`,
  );
  let alpha: ServiceProcess | undefined;
  let bravo: ServiceProcess | undefined;
  try {
    await post(stack.kmsUrl, "/reset");
    await act("Act 1: secure chat on a GREEN link", async () => {
      narrate(
        "ACT 1: Alpha and Bravo fetch BB84 keys from the KMS (wrapped with " +
          "ML-KEM-768), agree an end-to-end hybrid key through the relay, and chat.",
      );
      alpha = await startClient(stack, ALPHA, BRAVO);
      bravo = await startClient(stack, BRAVO, ALPHA);
      await alpha.type("Enemy convoy spotted at grid 42");
      await waitForCount(
        bravo,
        /Soldier_Alpha> Enemy convoy spotted at grid 42$/,
        1,
      );
      await bravo.type("Copy, holding position");
      await waitForCount(alpha, /Soldier_Bravo> Copy, holding position$/, 1);
      const link = await linkStatus(stack.kmsUrl);
      if (link.status !== "GREEN") {
        throw new Error(`link is ${link.status}, not GREEN`);
      }
      return `link GREEN, QBER ${
        (link.qber * 100).toFixed(1)
      }%, messages delivered both ways`;
    });
    await act("Act 2: attack detected, chat cut off", async () => {
      if (!alpha || !bravo) throw new Error("act 1 did not start the soldiers");
      narrate(
        "ACT 2: Force Attack. Eve intercepts and resends every qubit; the QBER jumps.",
      );
      const attack = await post(stack.kmsUrl, "/force_attack");
      if (attack.status !== "RED") {
        throw new Error(`force_attack answered ${JSON.stringify(attack)}`);
      }
      narrate(
        `QBER ${
          (Number(attack.qber) * 100).toFixed(1)
        }%: the link is RED, the KMS refuses keys.`,
      );
      await waitForCount(alpha, RED_WARNING, 1);
      await waitForCount(bravo, RED_WARNING, 1);
      await alpha.type("Requesting extraction");
      await new Promise((resolve) => setTimeout(resolve, HOLD_MS));
      if (countLines(bravo, /Requesting extraction/) > 0) {
        throw new Error("a message got through while the link was RED");
      }
      return `QBER ${
        (Number(attack.qber) * 100).toFixed(1)
      }%, both soldiers warned, the new line held back`;
    });
    await act("Act 3: reset, re-key, chat resumes", async () => {
      if (!alpha || !bravo) throw new Error("act 1 did not start the soldiers");
      narrate(
        "ACT 3: Reset. The link is GREEN again; the soldiers re-key and resume.",
      );
      await post(stack.kmsUrl, "/reset");
      await waitForCount(alpha, KEY_ESTABLISHED, 2);
      await waitForCount(bravo, KEY_ESTABLISHED, 2);
      await waitForCount(bravo, /Soldier_Alpha> Requesting extraction$/, 1);
      await bravo.type("Extraction confirmed, 10 minutes");
      await waitForCount(
        alpha,
        /Soldier_Bravo> Extraction confirmed, 10 minutes$/,
        1,
      );
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const held = countLines(bravo, /Soldier_Alpha> Requesting extraction$/);
      if (held !== 1) throw new Error(`the held line arrived ${held} times`);
      const link = await linkStatus(stack.kmsUrl);
      return `link ${link.status}, re-keyed, the held line arrived exactly once`;
    });
  } finally {
    await Promise.all([alpha?.stop(), bravo?.stop()]);
  }
  narrate("Summary");
  for (const [name, ok, detail] of results) {
    console.log(`[tour]   ${ok ? "✓" : "✗"} ${name}: ${detail}`);
  }
  const passed = results.length === 3 && results.every(([, ok]) => ok);
  console.log(
    `[tour] ${
      passed
        ? "Every act behaved as narrated."
        : "Some acts did not behave as narrated."
    }`,
  );
  return passed ? 0 : 1;
}
