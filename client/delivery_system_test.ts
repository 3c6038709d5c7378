/**
 * System tests of what the sender is told about a line: the relay's
 * acceptance (✓), the peer's encrypted receipt (✓✓), and a peer that is
 * talking to someone else.
 */

import { assertEquals } from "@std/assert";
import {
  assertShownOnce,
  chatLine,
  KEY_READY,
  linesMatching,
  startStack,
  WAIT_MS,
  waitForCount,
  withReadyPair,
} from "./_test_client.ts";

Deno.test("two marks; a peer on another conversation is reported, and gets the line once it is back", async () => {
  await using stack = await startStack();
  await withReadyPair(stack, async (alpha, bravo) => {
    await alpha.process.type("Hold position");
    await alpha.process.waitForLine(
      /^\[Alpha\] ✓ relay accepted: "Hold position"$/,
      WAIT_MS,
    );
    await alpha.process.waitForLine(
      /^\[Alpha\] ✓✓ Soldier_Bravo confirmed: "Hold position"$/,
      WAIT_MS,
    );
    // Bravo turns to another device; Alpha's next line is not shown there.
    await bravo.process.type("/peer Soldier_Charlie");
    await bravo.process.waitForLine(/↔ Now talking to Soldier_Charlie/);
    await alpha.process.type("are you with me");
    await alpha.process.waitForLine(
      /^\[Alpha\] ⚠ Soldier_Bravo is talking to someone else: "are you with me" was not shown there; kept/,
      WAIT_MS,
    );
    await bravo.process.waitForLine(
      /Ignored a packet from Soldier_Alpha; you are talking to Soldier_Charlie/,
    );
    assertEquals(
      linesMatching(
        bravo.process,
        chatLine("Soldier_Alpha", "are you with me"),
      ),
      [],
    );
    // Back to Alpha: a new end-to-end key, and the kept line arrives once.
    await bravo.process.type("/peer Soldier_Alpha");
    await waitForCount(bravo.process, KEY_READY, { count: 2 });
    await bravo.process.waitForLine(
      chatLine("Soldier_Alpha", "are you with me"),
      WAIT_MS,
    );
    await alpha.process.waitForLine(
      /^\[Alpha\] ✓✓ Soldier_Bravo confirmed: "are you with me"$/,
      WAIT_MS,
    );
    assertShownOnce(bravo, {
      sender: "Soldier_Alpha",
      text: "are you with me",
    });
    // Never a bare "delivered", nor a missing receipt for a confirmed line.
    assertEquals(linesMatching(alpha.process, /✓ delivered/), []);
    assertEquals(linesMatching(alpha.process, /has not confirmed/), []);
  });
});

/** The `HH:MM:SS` of a chat line, as seconds of the day. */
function secondsOf(line: string): number {
  const [h, m, s] = line.slice(1, 9).split(":").map(Number);
  return h * 3600 + m * 60 + s;
}

Deno.test("after a reconnect, lines show in the order written, with the time written", async () => {
  await using stack = await startStack();
  await withReadyPair(stack, async (alpha, bravo) => {
    await stack.relay.kill();
    await alpha.process.waitForLine(/Lost the relay/, WAIT_MS);
    const texts = ["msg1", "msg2", "msg3"];
    for (const text of texts) {
      await alpha.process.type(text);
      await alpha.process.waitForLine(new RegExp(`kept .*"${text}"`));
      await new Promise((resolve) => setTimeout(resolve, 1100));
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await stack.relay.start();
    const shown = [];
    for (const text of texts) {
      shown.push(
        await bravo.process.waitForLine(
          chatLine("Soldier_Alpha", text),
          WAIT_MS,
        ),
      );
    }
    const order = bravo.process.output.split("\n")
      .filter((line) => texts.some((text) => line.endsWith(`> ${text}`)));
    assertEquals(order.map((line) => line.slice(-4)), texts);
    // Written at least a second apart, before the relay came back.
    const seconds = shown.map(secondsOf);
    assertEquals(seconds[0] < seconds[1] && seconds[1] < seconds[2], true);
    const reconnected = await bravo.process.waitForLine(/Reconnected/);
    assertEquals(typeof reconnected, "string");
    const lastArrival = new Date();
    const arrivalSeconds = lastArrival.getHours() * 3600 +
      lastArrival.getMinutes() * 60 + lastArrival.getSeconds();
    assertEquals(
      seconds[2] < arrivalSeconds,
      true,
      `${shown} vs ${lastArrival}`,
    );
  });
});
