/**
 * The client's output: status lines with the `[Alpha]` prefix, chat lines
 * `[HH:MM:SS] Soldier_Bravo> text`, questions, and on a terminal a prompt
 * and colours. When stdout is not a terminal (a pipe, a file, a test) the
 * output is plain lines with no escape codes.
 *
 * @module
 */

import { clockTime, printable } from "./format.ts";

/** The colour a status line gets on a terminal. */
export type Tone = "ok" | "info" | "warn" | "alert";

const COLORS: Record<Tone | "peer", string> = {
  ok: "\x1b[32m",
  info: "\x1b[36m",
  warn: "\x1b[33m",
  alert: "\x1b[1;31m",
  peer: "\x1b[1m",
};
const RESET = "\x1b[0m";
// Carriage return and erase line: removes the prompt before a line is
// printed over it.
const CLEAR_LINE = "\r\x1b[2K";

/** Options for {@linkcode Terminal}. */
export interface TerminalOptions {
  /** stdout is a terminal: show a prompt, redraw it after each line. */
  interactive: boolean;
  /** Use colours (only when interactive). */
  color: boolean;
  /** Writes text as is. Default: synchronously to stdout. */
  write?: (text: string) => void;
}

/**
 * Prints the client's lines.
 *
 * @example
 * ```ts
 * import { Terminal } from "./terminal.ts";
 * const terminal = new Terminal({ interactive: false, color: false });
 * terminal.label = "[Alpha]";
 * terminal.status("ok", "✓ Quantum key established (QBER=2.0%) | Status: GREEN");
 * // [Alpha] ✓ Quantum key established (QBER=2.0%) | Status: GREEN
 * ```
 */
export class Terminal {
  /** Prefix of status lines, e.g. `[Alpha]`. */
  label = "";
  readonly #interactive: boolean;
  readonly #color: boolean;
  readonly #write: (text: string) => void;
  #prompt = "";
  // What the user has typed after the prompt (cbreak mode), redrawn with it.
  #typed = "";

  /** Creates a terminal writer. */
  constructor(options: TerminalOptions) {
    this.#interactive = options.interactive;
    this.#color = options.interactive && options.color;
    this.#write = options.write ?? writeStdout;
  }

  /** Whether stdout is a terminal. */
  get interactive(): boolean {
    return this.#interactive;
  }

  /**
   * Sets the prompt shown after every line on a terminal (empty for none)
   * and shows it.
   */
  setPrompt(text: string): void {
    this.#prompt = text;
    this.showPrompt();
  }

  /** Shows the prompt again (after the user pressed Enter). */
  showPrompt(): void {
    if (this.#interactive) {
      this.#write(CLEAR_LINE + this.#prompt + this.#typed);
    }
  }

  /** Shows `typed` after the prompt: the line being edited. */
  setTyped(typed: string): void {
    this.#typed = typed;
    this.showPrompt();
  }

  /** Leaves the edited line on screen as typed and starts a new one. */
  endTyped(): void {
    this.#typed = "";
    if (this.#interactive) this.#write("\n");
  }

  /** Prints a line as is. */
  line(text: string): void {
    this.#write(
      this.#interactive
        ? `${CLEAR_LINE}${text}\n${this.#prompt}${this.#typed}`
        : `${text}\n`,
    );
  }

  /**
   * Prints `label text`, coloured by `tone` on a terminal; the text may
   * quote the network (file names), so it is made safe to print.
   */
  status(tone: Tone, text: string): void {
    const line = `${this.label} ${printable(text)}`.trimStart();
    this.line(this.#paint(tone, line));
  }

  /**
   * Prints a chat line `[HH:MM:SS] sender> text`; the text is made safe to
   * print.
   */
  message(sender: string, text: string, options: { at?: Date } = {}): void {
    const time = clockTime(options.at ?? new Date());
    this.line(
      `[${time}] ${this.#paint("peer", `${sender}>`)} ${printable(text)}`,
    );
  }

  /**
   * Asks a question: on a terminal the answer is typed after it on the
   * same line; otherwise it is printed as a line of its own.
   */
  ask(question: string): void {
    // On a terminal the question is the prompt until the client sets its own.
    this.#prompt = question;
    this.#write(this.#interactive ? CLEAR_LINE + question : `${question}\n`);
  }

  #paint(tone: Tone | "peer", text: string): string {
    return this.#color ? `${COLORS[tone]}${text}${RESET}` : text;
  }
}

/**
 * A terminal writer for this process's stdout: interactive when stdout is a
 * terminal, coloured unless `NO_COLOR` is set or `TERM` is `dumb`.
 *
 * @example
 * ```ts ignore
 * import { stdoutTerminal } from "./terminal.ts";
 * stdoutTerminal().line("hello");
 * ```
 */
export function stdoutTerminal(): Terminal {
  const noColor = (Deno.env.get("NO_COLOR") ?? "") !== "" ||
    Deno.env.get("TERM") === "dumb";
  return new Terminal({
    interactive: Deno.stdout.isTerminal(),
    color: !noColor,
  });
}

const encoder = new TextEncoder();

function writeStdout(text: string): void {
  const bytes = encoder.encode(text);
  for (let offset = 0; offset < bytes.length;) {
    offset += Deno.stdout.writeSync(bytes.subarray(offset));
  }
}
