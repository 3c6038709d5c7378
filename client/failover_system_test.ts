/**
 * System tests of client failover (`--relay URL1,URL2`): the relay a client
 * is on is killed with SIGKILL mid-chat, the client moves to the second URL,
 * and every line typed before, during and after reaches the peer exactly
 * once. Between two independent relay processes that check tickets with the
 * same KMS key (both clients move), and between two nodes of a relay cluster
 * on a real nats-server (the client on the killed node moves; its peer stays
 * on the other node).
 */

import { assert, assertEquals } from "@std/assert";
import { TICKET_PUBLIC_KEY_FILE } from "../protocol/mod.ts";
import { natsMissing, startNats, startNode } from "../relay/_test_nats.ts";
import { skipUnless } from "../testing/skip.ts";
import {
  assertShownOnce,
  chatLine,
  KEY_READY,
  linesMatching,
  RestartableRelay,
  startClient,
  startStack,
  stopClients,
  type TestClientProcess,
  type TestStack,
  WAIT_MS,
  waitForEmptyOutbox,
} from "./_test_client.ts";

/** How the relays of a test are reached and one of them is killed. */
interface Crash {
  /** `--relay` of Soldier_Alpha and of Soldier_Bravo. */
  relays: [string, string];
  /** Kills the relay Soldier_Alpha is on (SIGKILL). */
  kill: () => Promise<void>;
  /** The URL Soldier_Alpha moves to. */
  survivor: string;
  /** Whether Soldier_Bravo was on the killed relay too, and moves. */
  bravoMoves: boolean;
  /** The survivor's log, to count each device's registrations there. */
  survivorLog: () => string;
}

/** The relay options that check tickets with the stack's KMS key. */
function ticketed(stack: TestStack) {
  const key = `${stack.kms.dataDir}/${TICKET_PUBLIC_KEY_FILE}`;
  return {
    open: false,
    args: ["--ticket-key", key],
    read: [`./${key}`],
  };
}

async function chatThroughCrash(stack: TestStack, crash: Crash) {
  const [alpha, bravo] = await Promise.all([
    startClient({
      stack,
      device: "Soldier_Alpha",
      peer: "Soldier_Bravo",
      relayUrl: crash.relays[0],
    }),
    startClient({
      stack,
      device: "Soldier_Bravo",
      peer: "Soldier_Alpha",
      relayUrl: crash.relays[1],
    }),
  ]);
  try {
    await Promise.all(
      [alpha, bravo].map((c) => c.process.waitForLine(KEY_READY, WAIT_MS)),
    );
    const lines: {
      from: TestClientProcess;
      to: TestClientProcess;
      text: string;
    }[] = [];
    const say = async (from: TestClientProcess, text: string) => {
      lines.push({ from, to: from === alpha ? bravo : alpha, text });
      await from.process.type(text);
    };
    await say(alpha, "before the crash");
    await say(bravo, "copy, before the crash");
    await bravo.process.waitForLine(
      chatLine("Soldier_Alpha", "before the crash"),
      WAIT_MS,
    );
    // Typed as the relay dies, and while the client moves to the second.
    await say(alpha, "as the relay dies");
    await crash.kill();
    await say(alpha, "while failing over");
    await say(bravo, "copy, while failing over");
    const movers = crash.bravoMoves ? [alpha, bravo] : [alpha];
    for (const client of movers) {
      await client.process.waitForLine(
        new RegExp(`Reconnected to the relay at ${crash.survivor} `),
        WAIT_MS,
      );
    }
    await say(alpha, "after the failover");
    await say(bravo, "copy, after the failover");
    for (const { from, to, text } of lines) {
      await to.process.waitForLine(chatLine(from.deviceId, text), WAIT_MS);
    }
    await Promise.all([alpha, bravo].map(waitForEmptyOutbox));
    for (const { from, to, text } of lines) {
      assertShownOnce(to, { sender: from.deviceId, text });
    }
    for (const client of [alpha, bravo]) {
      assertEquals(linesMatching(client.process, /Replayed packet/), []);
      // /status (asked by waitForEmptyOutbox) names the relay it is on.
      const relay = linesMatching(client.process, /^\[\w+\] {3}relay: /);
      assert(
        relay.at(-1)?.endsWith(`relay: connected (${crash.survivor})`),
        relay.join("\n"),
      );
    }
    // Each device that moved registered on the survivor once, ticketed.
    for (const client of movers) {
      const registrations = crash.survivorLog().split("\n")
        .filter((line) => line.includes(`register ${client.deviceId} `));
      assertEquals(registrations.length, 1, crash.survivorLog());
      assert(registrations[0].includes("with a ticket"), registrations[0]);
    }
  } finally {
    await stopClients(alpha, bravo);
  }
}

Deno.test("the relay both clients are on is killed mid-chat: they fail over to the second URL, nothing lost or doubled", async () => {
  await using stack = await startStack();
  const second = new RestartableRelay(ticketed(stack));
  await second.start();
  try {
    const relays = `${stack.relay.url},${second.url}`;
    await chatThroughCrash(stack, {
      relays: [relays, relays],
      kill: () => stack.relay.kill(),
      survivor: second.url,
      bravoMoves: true,
      survivorLog: () => second.output(),
    });
  } finally {
    await second.kill();
  }
});

const missing = await natsMissing();

Deno.test({
  name:
    "the cluster node a client is on is killed mid-chat: the client fails over to the second URL, nothing lost or doubled",
  ignore: skipUnless("cluster failover test", missing),
  async fn() {
    await using stack = await startStack();
    await using nats = await startNats();
    const node1 = await startNode(nats, "node1", ticketed(stack));
    await using node2 = await startNode(nats, "node2", ticketed(stack));
    let killed = false;
    try {
      await chatThroughCrash(stack, {
        // Alpha on node 1, Bravo on node 2: the chat crosses nodes.
        relays: [`${node1.url},${node2.url}`, `${node2.url},${node1.url}`],
        kill: async () => {
          killed = true;
          await node1.process.stop("SIGKILL");
        },
        survivor: node2.url,
        bravoMoves: false,
        survivorLog: () => node2.process.output,
      });
    } finally {
      if (!killed) await node1.process.stop("SIGKILL");
    }
  },
});
