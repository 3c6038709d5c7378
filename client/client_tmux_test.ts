/**
 * The client in a real terminal: two tmux windows, driven key by key as a
 * soldier types, answering the start-up questions instead of using flags;
 * then in an 80-column terminal, a line longer than two rows typed at human
 * speed while messages arrive, and the editing keys.
 * Needs tmux (installed by `.ci/run`); without it the test warns locally
 * and fails in CI.
 */

import { assert, assertEquals } from "@std/assert";
import { PROJECT_ROOT, serviceArgs } from "../common/service_process.ts";
import { skipUnless } from "../testing/skip.ts";
import { CLIENT_SPEC, startStack, uniqueDevice } from "./_test_client.ts";
import { Tmux, tmuxMissing } from "./_test_tmux.ts";

const TEST_NAME = "a soldier types into the client in a terminal";

Deno.test(TEST_NAME, async () => {
  if (skipUnless(TEST_NAME, await tmuxMissing())) return;
  const tmux = new Tmux();
  const alpha = uniqueDevice("Alpha");
  const bravo = uniqueDevice("Bravo");
  await using stack = await startStack({ devices: [alpha, bravo] });
  // The client exactly as `deno task client` starts it, in a terminal.
  const command = [Deno.execPath(), ...serviceArgs(CLIENT_SPEC)]
    .map((word) => `'${word}'`).join(" ");
  try {
    for (const [window, me] of [["alpha", alpha], ["bravo", bravo]]) {
      // The soldier's token in QSTCS_KMS_TOKEN (read from a file of its
      // own, never on a command line), the device typed at the question.
      const tokenFile = stack.credentials(me)!.replace(/\.json$/, ".env");
      await Deno.writeTextFile(
        `${PROJECT_ROOT}${tokenFile}`,
        `export QSTCS_KMS_TOKEN='${await stack.token(me)}'\n`,
        { mode: 0o600 },
      );
      await tmux.open(window, {
        command: `. './${tokenFile}' && ${command}`,
        size: [160, 40],
      });
    }
    for (
      const [window, me, peer] of [["alpha", alpha, bravo], [
        "bravo",
        bravo,
        alpha,
      ]]
    ) {
      await tmux.waitFor(window, /Device ID \(e\.g\. Soldier_Alpha\): $/m);
      await tmux.type(window, me);
      await tmux.waitFor(window, /Peer device ID/);
      await tmux.type(window, peer);
      await tmux.waitFor(window, /KMS URL \[http:\/\/192\.168\.1\.100:8000\]/);
      await tmux.type(window, stack.kms.url);
      await tmux.waitFor(window, /Relay URL/);
      await tmux.type(window, stack.relay.url);
    }
    for (const window of ["alpha", "bravo"]) {
      await tmux.waitFor(
        window,
        /✓ Quantum key established \(QBER=\d+\.\d%\) \| Status: GREEN/,
      );
      await tmux.waitFor(window, /End-to-end key ready/);
    }
    await tmux.type("alpha", "Move to checkpoint Delta");
    const bravoScreen = await tmux.waitFor(
      "bravo",
      new RegExp(
        `\\[\\d\\d:\\d\\d:\\d\\d\\] ${alpha}> Move to checkpoint Delta`,
      ),
    );
    // What the soldier typed shows once on the sender's screen, with its ack.
    await tmux.waitFor("alpha", /relay accepted: "Move to checkpoint Delta"/);
    assertEquals(bravoScreen.split("Move to checkpoint Delta").length - 1, 1);
    // Bravo is half-way through a line when Alpha's message arrives: the
    // message prints above, and the half-typed text stays on Bravo's screen.
    await tmux.run("send-keys", "-t", "bravo", "-l", "Roger, moving tx");
    await tmux.run("send-keys", "-t", "bravo", "BSpace");
    await tmux.type("alpha", "Eyes on the bridge");
    const during = await tmux.waitFor(
      "bravo",
      new RegExp(
        `${alpha}> Eyes on the bridge\\n${bravo}> Roger, moving t$`,
        "m",
      ),
    );
    assert(during.trimEnd().endsWith(`${bravo}> Roger, moving t`), during);
    await tmux.type("bravo", "o Delta");
    await tmux.waitFor(
      "alpha",
      new RegExp(`\\] ${bravo}> Roger, moving to Delta$`, "m"),
    );
    await tmux.type("bravo", "/status");
    await tmux.waitFor("bravo", /outbox: \d+ unconfirmed/);
    await tmux.type("alpha", "/quit");
    await tmux.waitFor("alpha", /^client exited with 0$/m);
  } finally {
    await tmux.kill();
    // Their identities went to the default state folder, as a soldier's do.
    for (const device of [alpha, bravo]) {
      await Deno.remove(`${PROJECT_ROOT}state/${device}`, { recursive: true })
        .catch(() => {});
    }
  }
});

const WIDE_TEST =
  "80 columns: a long line typed while messages arrive shows once, wrapped";

/** Keys typed one by one, about as fast as a quick soldier (~25 a second). */
async function typeSlowly(tmux: Tmux, window: string, text: string) {
  for (const char of text) {
    await tmux.run("send-keys", "-t", window, "-l", char);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** How often `part` occurs in `text`. */
function count(text: string, part: string): number {
  return text.split(part).length - 1;
}

Deno.test(WIDE_TEST, async () => {
  if (skipUnless(WIDE_TEST, await tmuxMissing())) return;
  const tmux = new Tmux();
  const alpha = uniqueDevice("Alpha");
  const bravo = uniqueDevice("Bravo");
  await using stack = await startStack({ devices: [alpha, bravo] });
  const stateDir = `state/test-tmux-${crypto.randomUUID().slice(0, 8)}`;
  try {
    for (
      const [window, me, peer] of [["alpha", alpha, bravo], [
        "bravo",
        bravo,
        alpha,
      ]]
    ) {
      const command = [
        Deno.execPath(),
        ...serviceArgs({
          ...CLIENT_SPEC,
          args: [
            "--credentials",
            stack.credentials(me)!,
            "--peer",
            peer,
            "--kms",
            stack.kms.url,
            "--relay",
            stack.relay.url,
            "--state",
            stateDir,
          ],
        }),
      ].map((word) => `'${word}'`).join(" ");
      await tmux.open(window, { command, size: [80, 30] });
    }
    for (const window of ["alpha", "bravo"]) {
      await tmux.waitFor(window, /End-to-end key ready/);
    }
    // A 200-character sitrep, typed key by key; Alpha's reports arrive
    // every 50 keys.
    const sitrep = Array.from(
      { length: 23 },
      (_, i) => `grid-${String(i).padStart(3, "0")}.`,
    ).join("").slice(0, 200);
    assertEquals(sitrep.length, 200);
    const reports = [1, 2, 3, 4].map((n) => `Contact report ${n}`);
    for (const [n, report] of reports.entries()) {
      await typeSlowly(tmux, "bravo", sitrep.slice(n * 50, n * 50 + 50));
      await tmux.type("alpha", report);
      await tmux.waitFor("bravo", new RegExp(`${alpha}> ${report}`));
    }
    const typing = await tmux.waitFor(
      "bravo",
      new RegExp(`${bravo}> ${sitrep.replaceAll(".", "\\.")}$`, "m"),
    );
    // Once each: no stale copies of the half-typed line, no doubled report.
    assertEquals(count(typing, sitrep.slice(0, 20)), 1, typing);
    for (const report of reports) {
      assertEquals(count(typing, report), 1, typing);
    }
    assert(typing.trimEnd().endsWith(sitrep), typing);
    // The unjoined screen: the line wraps over three rows of 80.
    const rows = await tmux.run("capture-pane", "-p", "-t", "bravo");
    assert(rows.split("\n").every((row) => row.length <= 80), rows);
    await tmux.run("send-keys", "-t", "bravo", "Enter");
    await tmux.waitFor(
      "alpha",
      new RegExp(`${bravo}> ${sitrep.replaceAll(".", "\\.")}$`, "m"),
    );
    // Left, Home and End move the cursor inside the line.
    await typeSlowly(tmux, "bravo", "abc");
    await tmux.run("send-keys", "-t", "bravo", "Left", "Left");
    await typeSlowly(tmux, "bravo", "X");
    await tmux.run("send-keys", "-t", "bravo", "Home");
    await typeSlowly(tmux, "bravo", "Y");
    await tmux.run("send-keys", "-t", "bravo", "End");
    await typeSlowly(tmux, "bravo", "Z");
    await tmux.run("send-keys", "-t", "bravo", "Enter");
    await tmux.waitFor("alpha", new RegExp(`${bravo}> YaXbcZ$`, "m"));
    // Up recalls it; Backspace and a new end make another line.
    await tmux.run("send-keys", "-t", "bravo", "Up", "BSpace");
    await tmux.type("bravo", "!");
    await tmux.waitFor("alpha", new RegExp(`${bravo}> YaXbc!$`, "m"));
    // Ctrl-L clears the screen and keeps the prompt.
    await typeSlowly(tmux, "bravo", "kept");
    await tmux.run("send-keys", "-t", "bravo", "C-l");
    await tmux.waitFor("bravo", new RegExp(`^${bravo}> kept$`, "m"));
    await tmux.run("send-keys", "-t", "bravo", "C-u");
    // A 40-line sitrep pasted (bracketed paste) is one message; its "/quit"
    // line is text.
    const pasted = Array.from(
      { length: 40 },
      (_, i) => `sitrep line ${String(i + 1).padStart(2, "0")}`,
    );
    pasted[9] = "/quit";
    await tmux.run("set-buffer", "-b", "sitrep", pasted.join("\n"));
    await tmux.run("paste-buffer", "-p", "-b", "sitrep", "-t", "bravo");
    await tmux.waitFor("bravo", /A message of 40 line\(s\) so far/);
    await tmux.type("bravo", ".");
    const received = await tmux.waitFor("alpha", /^ +sitrep line 40$/m);
    assertEquals(count(received, `${bravo}> sitrep line 01`), 1, received);
    assert(/^ +\/quit$/m.test(received), received);
    assertEquals(count(received, "sitrep line"), 39, received);
    await tmux.type("bravo", "/quit");
    await tmux.waitFor("bravo", /^client exited with 0$/m);
  } finally {
    await tmux.kill();
    await Deno.remove(`${PROJECT_ROOT}${stateDir}`, { recursive: true })
      .catch(() => {});
  }
});
