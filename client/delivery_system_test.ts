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
