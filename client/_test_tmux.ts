/**
 * Test helpers: a tmux server of the test's own, to type into clients in
 * real terminals and read their screens.
 *
 * @module
 */

import { waitUntil } from "../testing/wait.ts";
import { WAIT_MS } from "./_test_client.ts";

/** A tmux server of its own, so the test never touches a user's sessions. */
export class Tmux {
  readonly socket = `qstcs-test-${Deno.pid}-${crypto.randomUUID().slice(0, 6)}`;

  /** Runs a tmux command on this server; resolves with its output. */
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

  /**
   * Opens window `name`, `size` columns by rows, running the shell
   * `command` from the working directory, then saying how it exited.
   */
  async open(
    name: string,
    options: { command: string; size: [number, number] },
  ): Promise<void> {
    const [columns, rows] = options.size.map(String);
    await this.run(
      "new-session",
      "-d",
      "-s",
      name,
      "-x",
      columns,
      "-y",
      rows,
      `cd '${Deno.cwd()}' && ${options.command}; echo "client exited with $?"; sleep 60`,
    );
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
    let screen = "";
    // Each check runs tmux: ten a second at most.
    await waitUntil(
      async () => pattern.test(screen = await this.screen(window)),
      () => `${pattern} on the screen of ${window}:\n${screen}`,
      { timeoutMs: WAIT_MS, intervalMs: 100 },
    );
    return screen;
  }

  /** Ends the tmux server and every window in it. */
  async kill(): Promise<void> {
    await this.run("kill-server").catch(() => {});
  }
}

/** Why tmux cannot be used, or `undefined` when it can. */
export async function tmuxMissing(): Promise<string | undefined> {
  try {
    await new Deno.Command("tmux", { args: ["-V"], stdout: "null" }).output();
    return undefined;
  } catch {
    return "'tmux' not found (apt-get install tmux)";
  }
}
