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
 * Squad room: Charlie joins Alpha and Bravo in room `squad1`; the KMS's room
 * key and each member's sender key carry a line to both others, confirmed by
 * each; then all three leave.
 *
 * The soldiers' clients use the credentials files the demo enrolled; Force
 * Attack and Reset go to the KMS with the operator's token from
 * `Operator.json`, as the dashboard sends them.
 *
 * @module
 */

import { errorMessage } from "../common/error_message.ts";
import { delay } from "../common/std.ts";
import {
  type ServiceProcess,
  startService,
} from "../common/service_process.ts";
import type { RoomState } from "../protocol/mod.ts";
import type { Stack } from "./stack.ts";
import { credentialsFile, readToken } from "./enrollment.ts";

/** How long a step may take before the act counts as failed. */
const STEP_MS = 30_000;
/** How long a line must stay undelivered while RED. */
const HOLD_MS = 4_000;

const ALPHA = "Soldier_Alpha";
const BRAVO = "Soldier_Bravo";
const CHARLIE = "Soldier_Charlie";
const ROOM = "squad1";

/** The client's status lines the acts look for. */
const KEY_ESTABLISHED = /✓ Quantum key established \(QBER=\d+\.\d%\)/;
const KEY_READY = /🔐 End-to-end key ready with /;
const RED_WARNING =
  /⚠ QUANTUM LINK RED \(QBER=\d+\.\d%\) — possible eavesdropper!/;

function narrate(text: string): void {
  console.log(`\n[tour] ${text}`);
}

async function linkStatus(
  kmsUrl: string,
  signal: AbortSignal,
): Promise<{ status: string; qber: number }> {
  return await (await fetch(`${kmsUrl}/link_status`, { signal })).json();
}

/** The room's epoch as the KMS has it (the operator sees every room). */
async function roomEpoch(
  kmsUrl: string,
  options: { token: string; signal: AbortSignal },
): Promise<number> {
  const deadline = Date.now() + STEP_MS;
  while (true) {
    const response = await fetch(`${kmsUrl}/rooms`, {
      headers: { authorization: `Bearer ${options.token}` },
      signal: options.signal,
    });
    const { rooms } = await response.json() as { rooms: RoomState[] };
    const room = rooms.find((room) => room.room === ROOM);
    if (room?.ready) return room.epoch;
    if (Date.now() > deadline) throw new Error(`room ${ROOM} never filled`);
    await delay(200, { signal: options.signal });
  }
}

/** An operator action at the KMS, with the operator's bearer token. */
async function operatorPost(
  kmsUrl: string,
  path: string,
  options: { token: string; signal: AbortSignal },
): Promise<Record<string, unknown>> {
  const response = await fetch(`${kmsUrl}${path}`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${options.token}`,
      "content-type": "application/json",
    },
    body: "{}",
    signal: options.signal,
  });
  const body = await response.json();
  if (!response.ok) {
    throw new Error(`${path} answered ${response.status}: ${body.message}`);
  }
  return body;
}

function countLines(client: ServiceProcess, pattern: RegExp): number {
  return client.output.split("\n").filter((line) => pattern.test(line)).length;
}

/**
 * Waits until `client` has printed `count` lines matching `pattern`, or
 * throws `signal`'s reason when it aborts.
 */
async function waitForCount(
  client: ServiceProcess,
  pattern: RegExp,
  count: number,
  signal: AbortSignal,
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
    await delay(100, { signal });
  }
}

function startClient(
  stack: Stack,
  device: string,
  peer: string,
  options: { stateDir: string; signal: AbortSignal; args?: string[] },
): Promise<ServiceProcess> {
  const { signal } = options;
  return startService({
    permissionSet: "client",
    entry: "client/main.ts",
    args: [
      "--credentials",
      credentialsFile(stack.credentialsDir, device),
      "--peer",
      peer,
      "--kms",
      stack.kmsUrl,
      "--relay",
      stack.relayUrl,
      "--state",
      options.stateDir,
      ...options.args ?? [],
    ],
    interactive: true,
  }, {
    ready: KEY_ESTABLISHED,
    timeoutMs: STEP_MS,
    echoPrefix: `  [${device}] `,
    signal,
  });
}

/**
 * Plays the tour against a running stack, its clients keeping their keys in
 * `options.stateDir`; returns the exit code. When `options.signal` aborts
 * (Ctrl-C, or a service died) the tour stops its clients and throws the
 * signal's reason instead of waiting out its timeouts.
 */
export async function runTour(
  stack: Stack,
  options: { stateDir: string; signal: AbortSignal },
): Promise<number> {
  const { signal } = options;
  const token = await readToken(
    credentialsFile(stack.credentialsDir, "Operator"),
  );
  const post = (path: string) =>
    operatorPost(stack.kmsUrl, path, { token, signal });
  const client = (device: string, peer: string) =>
    startClient(stack, device, peer, options);
  const results: [string, boolean, string][] = [];
  const act = async (name: string, body: () => Promise<string>) => {
    try {
      signal.throwIfAborted();
      results.push([name, true, await body()]);
    } catch (error) {
      signal.throwIfAborted();
      results.push([
        name,
        false,
        errorMessage(error),
      ]);
    }
  };
  console.log(
    `[tour] Dashboard: ${stack.dashboardUrl} (open it to watch the link live)`,
  );
  let alpha: ServiceProcess | undefined;
  let bravo: ServiceProcess | undefined;
  let charlie: ServiceProcess | undefined;
  try {
    await post("/reset");
    await act("Act 1: secure chat on a GREEN link", async () => {
      narrate(
        "ACT 1: Alpha and Bravo present their credentials and KMS-signed " +
          "tickets, fetch BB84 keys from the KMS (wrapped with ML-KEM-768), " +
          "agree an end-to-end hybrid key through the relay (signed with their " +
          "Ed25519 identity keys), and chat.",
      );
      alpha = await client(ALPHA, BRAVO);
      bravo = await client(BRAVO, ALPHA);
      await alpha.type("Enemy convoy spotted at grid 42");
      await waitForCount(
        bravo,
        /Soldier_Alpha> Enemy convoy spotted at grid 42$/,
        1,
        signal,
      );
      await bravo.type("Copy, holding position");
      await waitForCount(
        alpha,
        /Soldier_Bravo> Copy, holding position$/,
        1,
        signal,
      );
      const link = await linkStatus(stack.kmsUrl, signal);
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
      const attack = await post("/force_attack");
      if (attack.status !== "RED") {
        throw new Error(`force_attack answered ${JSON.stringify(attack)}`);
      }
      narrate(
        `QBER ${
          (Number(attack.qber) * 100).toFixed(1)
        }%: the link is RED, the KMS refuses keys.`,
      );
      await waitForCount(alpha, RED_WARNING, 1, signal);
      await waitForCount(bravo, RED_WARNING, 1, signal);
      await alpha.type("Requesting extraction");
      await delay(HOLD_MS, { signal });
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
      // Counted from here: a re-key earlier in the tour must not pass for
      // the one after the reset.
      const before = [alpha, bravo].map((client) => ({
        client,
        keys: countLines(client, KEY_ESTABLISHED),
        ready: countLines(client, KEY_READY),
      }));
      await post("/reset");
      for (const { client, keys, ready } of before) {
        await waitForCount(client, KEY_ESTABLISHED, keys + 1, signal);
        await waitForCount(client, KEY_READY, ready + 1, signal);
      }
      await waitForCount(
        bravo,
        /Soldier_Alpha> Requesting extraction$/,
        1,
        signal,
      );
      await bravo.type("Extraction confirmed, 10 minutes");
      await waitForCount(
        alpha,
        /Soldier_Bravo> Extraction confirmed, 10 minutes$/,
        1,
        signal,
      );
      await delay(1000, { signal });
      const held = countLines(bravo, /Soldier_Alpha> Requesting extraction$/);
      if (held !== 1) throw new Error(`the held line arrived ${held} times`);
      const link = await linkStatus(stack.kmsUrl, signal);
      return `link ${link.status}, re-keyed, the held line arrived exactly once`;
    });
    await act(
      "Squad room: three soldiers, one room key, sender keys",
      async () => {
        if (!alpha || !bravo) {
          throw new Error("act 1 did not start the soldiers");
        }
        narrate(
          `SQUAD ROOM: Alpha and Bravo join room ${ROOM} (3 seats) and Charlie ` +
            "starts in it. The KMS tells the members and hands each the room " +
            "key of the epoch, wrapped to its ML-KEM-768 key; each member's own " +
            "sender key goes to the others under ML-KEM-768 too, so neither the " +
            "KMS nor the relay can read the room.",
        );
        await alpha.type(`/join ${ROOM} 3`);
        await waitForCount(alpha, /✓ (Created|Joined) room squad1/, 1, signal);
        await bravo.type(`/join ${ROOM} 3`);
        await waitForCount(bravo, /✓ (Created|Joined) room squad1/, 1, signal);
        charlie = await startClient(stack, CHARLIE, ALPHA, {
          ...options,
          args: ["--room", `${ROOM}:3`],
        });
        const epoch = await roomEpoch(stack.kmsUrl, { token, signal });
        const keyed = new RegExp(
          `\\[ROOMKEY_DECRYPTED\\] room=${ROOM} epoch=${epoch}:`,
        );
        for (const member of [alpha, bravo, charlie]) {
          await waitForCount(member, keyed, 1, signal);
        }
        await alpha.type("Squad, rally at checkpoint Delta");
        for (const member of [bravo, charlie]) {
          await waitForCount(
            member,
            /\[squad1\] Soldier_Alpha> Squad, rally at checkpoint Delta$/,
            1,
            signal,
          );
        }
        await charlie.type("Charlie moving");
        await waitForCount(
          alpha,
          /\[squad1\] Soldier_Charlie> Charlie moving$/,
          1,
          signal,
        );
        await waitForCount(alpha, /✓✓ \[squad1\] all 2 confirmed/, 1, signal);
        for (const member of [alpha, bravo, charlie]) {
          await member.type(`/leave ${ROOM}`);
        }
        for (const member of [alpha, bravo, charlie]) {
          await waitForCount(member, /✓ Left room squad1/, 1, signal);
        }
        return `epoch ${epoch}, each line reached both others once, confirmed by both; all left`;
      },
    );
  } finally {
    await Promise.all([alpha?.stop(), bravo?.stop(), charlie?.stop()]);
  }
  narrate("Summary");
  for (const [name, ok, detail] of results) {
    console.log(`[tour]   ${ok ? "✓" : "✗"} ${name}: ${detail}`);
  }
  const passed = results.length === 4 && results.every(([, ok]) => ok);
  console.log(
    `[tour] ${
      passed
        ? "Every act behaved as narrated."
        : "Some acts did not behave as narrated."
    }`,
  );
  return passed ? 0 : 1;
}
