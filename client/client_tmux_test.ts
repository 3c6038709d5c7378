/**
 * The client in a real terminal: two tmux windows, driven key by key as a
 * soldier types, answering the start-up questions instead of using flags.
 * Needs tmux (installed by `.ci/run`); without it the test warns locally
 * and fails in CI.
 */

import { assert, assertEquals } from "@std/assert";
import { PROJECT_ROOT, serviceArgs } from "../common/service_process.ts";
import { skipUnless } from "../testing/skip.ts";
import {
  CLIENT_SPEC,
  startStack,
  uniqueDevice,
  WAIT_MS,
} from "./_test_client.ts";

const TEST_NAME = "a soldier types into the client in a terminal";

/** A tmux server of its own, so the test never touches a user's sessions. */
class Tmux {
  readonly socket = `qstcs-test-${Deno.pid}`;

  async run(...args: string[]): Promise<string> {
    const { code, stdout, stderr } = await new Deno.Command("tmux", {
      args: ["-L", this.socket, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decoder = new TextDecoder();
    if (code !== 0) {
      throw new Error(`tmux ${args.join(" ")}: ${decoder.decode(stderr)}`);
    }
    return decoder.decode(stdout);
  }

  /** Types `text` and presses Enter. */
  async type(window: string, text: string): Promise<void> {
    await this.run("send-keys", "-t", window, "-l", text);
    await this.run("send-keys", "-t", window, "Enter");
  }

  /** The visible screen and scrollback of `window`, escapes stripped. */
  screen(window: string): Promise<string> {
    return this.run("capture-pane", "-p", "-J", "-S", "-200", "-t", window);
  }

  /** Waits until the screen of `window` matches `pattern`. */
  async waitFor(window: string, pattern: RegExp): Promise<string> {
    const deadline = Date.now() + WAIT_MS;
    while (true) {
      const screen = await this.screen(window);
      if (pattern.test(screen)) return screen;
      if (Date.now() > deadline) {
        throw new Error(`${window}: no ${pattern} on screen:\n${screen}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async kill(): Promise<void> {
    await this.run("kill-server").catch(() => {});
  }
}

async function tmuxMissing(): Promise<string | undefined> {
  try {
    await new Deno.Command("tmux", { args: ["-V"], stdout: "null" }).output();
    return undefined;
  } catch {
    return "'tmux' not found (apt-get install tmux)";
  }
}

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
      await tmux.run(
        "new-session",
        "-d",
        "-s",
        window,
        "-x",
        "160",
        "-y",
        "40",
        `cd '${Deno.cwd()}' && . './${tokenFile}' && ${command}; echo "client exited with $?"; sleep 60`,
      );
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
    await tmux.waitFor("alpha", /delivered: "Move to checkpoint Delta"/);
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
