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

import process from "node:process";
import { ChatClient } from "./chat_client.ts";
import { ConfigError } from "../common/cli.ts";
import { openClientState } from "./client_state.ts";
import { completeConfig, parseClientArgs, withCredentials } from "./config.ts";
import { HELP_TEXT } from "./help_text.ts";
import { LineReader, type LineSource } from "./line_reader.ts";
import { stdoutTerminal } from "./terminal.ts";
import { TerminalInput } from "./terminal_input.ts";

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
  // Ctrl-C (a key on the terminal, a signal otherwise) and a plain kill:
  // before the client runs, leave at once; then leave as /quit does, so
  // unconfirmed lines are reported, not dropped.
  let onSignal: () => void = () => {
    if (editing) Deno.stdin.setRaw(false);
    Deno.exit(130);
  };
  const listener = () => onSignal();
  // On a terminal readline edits the typed line (see terminal_input.ts).
  const editing = Deno.stdin.isTerminal() && Deno.stdout.isTerminal();
  const screen = editing
    ? new TerminalInput({
      input: process.stdin,
      output: process.stdout,
      onInterrupt: listener,
    })
    : undefined;
  const terminal = stdoutTerminal(screen);
  const signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT"]
    : ["SIGINT", "SIGTERM"];
  for (const signal of signals) Deno.addSignalListener(signal, listener);
  try {
    const input: LineSource = screen ?? new LineReader(Deno.stdin.readable);
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
        ask: async (question) => {
          terminal.ask(question);
          const answer = await input.next();
          // A paste at a question: its first line is the answer.
          return typeof answer === "object" && answer !== null
            ? answer.text.split("\n")[0]
            : answer;
        },
        report: (problem) => terminal.line(problem),
      });
      state = await openClientState(parsed.stateDir, config.deviceId);
      terminal.bell = config.bell ?? "all";
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
    await screen?.cancel();
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
