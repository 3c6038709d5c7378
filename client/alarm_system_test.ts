/**
 * System tests of the alarm that matters: "quantum channel may be
 * compromised" only when the link is RED and the relay is out of reach
 * (the router's cut), never for a laptop that slept or a relay that
 * restarted while the link was GREEN.
 */

import { assertEquals } from "@std/assert";
import {
  chatLine,
  KEY_READY,
  linesMatching,
  startStack,
  WAIT_MS,
  waitForCount,
  withReadyPair,
} from "./_test_client.ts";

const ALARM = /quantum channel may be compromised/;
const RELAY_LOST =
  /^\[\w+\] ⚠ Lost the relay: a network or relay problem, not the quantum link \(it is not RED\)\./;
const RESTARTING = /^\[\w+\] ⚠ The relay is restarting \(it said goodbye\)\./;
const LOST =
  /^\[\w+\] ❌ Connection lost — quantum channel may be compromised\. Awaiting re-key\.$/;

Deno.test("laptop sleep and a clean relay shutdown with the link GREEN: the network wording, not the alarm", async () => {
  // The relay closes a silent client after 3 s (30 s as shipped): a short
  // nap is a long sleep.
  await using stack = await startStack({ relayArgs: ["--idle-timeout", "3"] });
  await withReadyPair(stack, async (alpha, bravo) => {
    // Alpha's laptop sleeps (SIGSTOP) past the relay's idle timeout.
    Deno.kill(alpha.process.pid, "SIGSTOP");
    await new Promise((resolve) => setTimeout(resolve, 6000));
    Deno.kill(alpha.process.pid, "SIGCONT");
    await alpha.process.waitForLine(RELAY_LOST, WAIT_MS);
    await waitForCount(alpha.process, KEY_READY, { count: 2 });
    await alpha.process.type("awake again");
    await bravo.process.waitForLine(
      chatLine("Soldier_Alpha", "awake again"),
      WAIT_MS,
    );
    // The relay shuts down cleanly (close 1001) and comes back.
    await stack.relay.stop();
    await Promise.all([
      alpha.process.waitForLine(RESTARTING, WAIT_MS),
      bravo.process.waitForLine(RESTARTING, WAIT_MS),
    ]);
    await stack.relay.start();
    await waitForCount(bravo.process, KEY_READY, { count: 2 });
    await waitForCount(alpha.process, KEY_READY, { count: 3 });
    for (const client of [alpha, bravo]) {
      assertEquals(linesMatching(client.process, ALARM), []);
    }
  });
});

Deno.test("the router's cut while the link is RED: the alarm", async () => {
  await using stack = await startStack();
  await stack.enroll("Operator", { role: "operator" });
  const operator = { authorization: `Bearer ${await stack.token("Operator")}` };
  const RED = /⚠ QUANTUM LINK RED \(QBER=\d+\.\d%\) — possible eavesdropper!/;
  await withReadyPair(stack, async (alpha, bravo) => {
    await stack.kms.post("/force_attack", {}, operator);
    await Promise.all([
      alpha.process.waitForLine(RED, WAIT_MS),
      bravo.process.waitForLine(RED, WAIT_MS),
    ]);
    // The router cuts the chat port: here the relay just goes.
    await stack.relay.kill();
    await Promise.all([
      alpha.process.waitForLine(LOST, WAIT_MS),
      bravo.process.waitForLine(LOST, WAIT_MS),
    ]);
    for (const client of [alpha, bravo]) {
      assertEquals(linesMatching(client.process, RELAY_LOST), []);
    }
  });
});
