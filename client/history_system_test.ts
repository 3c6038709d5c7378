/**
 * System test of the chat kept across restarts: a client killed (kill -9)
 * with undelivered lines shows its history when started again and
 * delivers those lines once; its file holds no plaintext.
 */

import { assert, assertEquals } from "@std/assert";
import { PROJECT_ROOT } from "../common/service_process.ts";
import {
  assertShownOnce,
  chatLine,
  KEY_READY,
  startClient,
  startStack,
  stopClients,
  TEST_STATE_DIR,
  WAIT_MS,
  withReadyPair,
} from "./_test_client.ts";
import { waitUntil } from "../testing/wait.ts";

// Which copy of `file` is there: each save writes a new file and renames it
// over the old, so its inode changes even where mtime has whole seconds.
function version(file: string): string {
  const { mtime, ino, size } = Deno.statSync(file);
  return `${mtime!.getTime()}/${ino}/${size}`;
}

// Waits (up to 10 s) until `file` is no longer the copy `before` and then
// left unchanged for 300 ms.
async function savedAfter(file: string, before: string): Promise<void> {
  let last = before;
  let stableSince = performance.now();
  await waitUntil(
    () => {
      const now = version(file);
      if (now !== last) [last, stableSince] = [now, performance.now()];
      return last !== before && performance.now() - stableSince >= 300;
    },
    `${file} to be saved`,
    { timeoutMs: 10_000 },
  );
}

Deno.test("kill -9 with undelivered lines, restart: history shown, lines delivered once, no plaintext on disk", async () => {
  await using stack = await startStack();
  await withReadyPair(stack, async (alpha, bravo) => {
    await bravo.process.type("Copy, holding grid 42");
    await alpha.process.waitForLine(
      chatLine("Soldier_Bravo", "Copy, holding grid 42"),
      WAIT_MS,
    );
    await stack.relay.kill();
    await alpha.process.waitForLine(/Lost the relay/, WAIT_MS);
    const file = `${PROJECT_ROOT}${TEST_STATE_DIR}/Soldier_Alpha/chat.bin`;
    const before = version(file);
    for (const text of ["undelivered one", "undelivered two"]) {
      await alpha.process.type(text);
      await alpha.process.waitForLine(new RegExp(`kept .*"${text}"`));
    }
    // Saved as soon as typed, one write after another: wait until the file
    // has changed and then stayed as it is for a while.
    await savedAfter(file, before);
    await alpha.process.stop("SIGKILL");
    const onDisk = new TextDecoder("latin1").decode(await Deno.readFile(file));
    for (const secret of ["undelivered", "grid 42", "Soldier_Bravo"]) {
      assert(!onDisk.includes(secret), `"${secret}" readable in ${file}`);
    }
    assertEquals((await Deno.stat(file)).mode! & 0o777, 0o600);
    await stack.relay.start();
    const again = await startClient({
      stack,
      device: "Soldier_Alpha",
      peer: "Soldier_Bravo",
    });
    try {
      await again.process.waitForLine(
        /── the last 3 of 3 line\(s\) kept on this device/,
        WAIT_MS,
      );
      await again.process.waitForLine(
        /^· \[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] Soldier_Bravo> Copy, holding grid 42$/,
      );
      await again.process.waitForLine(
        /^· \[[\d: -]+\] Soldier_Alpha> undelivered two$/,
      );
      await again.process.waitForLine(
        /… 2 unconfirmed line\(s\) from the last run kept/,
      );
      await again.process.waitForLine(KEY_READY, WAIT_MS);
      for (const text of ["undelivered one", "undelivered two"]) {
        await bravo.process.waitForLine(
          chatLine("Soldier_Alpha", text),
          WAIT_MS,
        );
        await again.process.waitForLine(
          new RegExp(`✓✓ Soldier_Bravo confirmed: "${text}"`),
          WAIT_MS,
        );
      }
      await again.process.type("/history 1");
      await again.process.waitForLine(/── the last 1 of 3 line\(s\) kept/);
      for (const text of ["undelivered one", "undelivered two"]) {
        assertShownOnce(bravo, { sender: "Soldier_Alpha", text });
      }
    } finally {
      await stopClients(again);
    }
  });
});
