/**
 * The soldier's chat client: `deno task client [--credentials FILE]
 * [--device ID] [--peer ID] [--kms URL] [--relay URL] [--state DIR]`, or the
 * binary from `deno task build:client`.
 * `--help` explains everything.
 *
 * Exit codes: 0 done, 1 end of input left messages unconfirmed, 2 bad
 * flags or answers, 70 internal error.
 *
 * @module
 */

import { ChatClient } from "./chat_client.ts";
import { ConfigError } from "../common/cli.ts";
import { openClientState } from "./client_state.ts";
import {
  completeConfig,
  HELP_TEXT,
  parseClientArgs,
  withCredentials,
} from "./config.ts";
import { LineEditor } from "./line_editor.ts";
import { LineReader } from "./line_reader.ts";
import { stdoutTerminal } from "./terminal.ts";

/**
 * Runs the client with command-line `args` and resolves with its exit
 * code.
 *
 * @example
 * ```ts ignore
 * import { main } from "./main.ts";
 * Deno.exit(await main(["--help"]));
 * ```
 */
export async function main(args: string[]): Promise<number> {
  const terminal = stdoutTerminal();
  // On a terminal the client edits the typed line itself (see line_editor.ts).
  const editing = terminal.interactive && Deno.stdin.isTerminal();
  if (editing) Deno.stdin.setRaw(true, { cbreak: true });
  // Ctrl-C and a plain kill: before the client runs, leave at once; then
  // leave as /quit does, so unconfirmed lines are reported, not dropped.
  let onSignal: () => void = () => {
    if (editing) Deno.stdin.setRaw(false);
    Deno.exit(130);
  };
  const listener = () => onSignal();
  const signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT"]
    : ["SIGINT", "SIGTERM"];
  for (const signal of signals) Deno.addSignalListener(signal, listener);
  try {
    const input = editing
      ? new LineEditor(Deno.stdin.readable, {
        show: (typed) => terminal.setTyped(typed),
        newLine: () => terminal.endTyped(),
      })
      : new LineReader(Deno.stdin.readable);
    let config;
    let state;
    try {
      const parsed = parseClientArgs(args, {
        env: (name) => Deno.env.get(name),
      });
      if (parsed.help) {
        terminal.line(HELP_TEXT);
        return 0;
      }
      const given = parsed.credentials === undefined
        ? parsed.config
        : await withCredentials(parsed.config, parsed.credentials);
      config = await completeConfig(given, {
        ask: (question) => {
          terminal.ask(question);
          return input.next();
        },
        report: (problem) => terminal.line(problem),
      });
      state = await openClientState(parsed.stateDir, config.deviceId);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      console.error(`qstcs-client: ${error.message}`);
      return 2;
    }
    const client = new ChatClient(config, { terminal, input, state });
    onSignal = () => client.quit();
    return await client.run();
  } finally {
    for (const signal of signals) Deno.removeSignalListener(signal, listener);
    if (editing) Deno.stdin.setRaw(false);
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
