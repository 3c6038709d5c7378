/**
 * The client's output: status lines with the `[Alpha]` prefix, chat lines
 * `[HH:MM:SS] Soldier_Bravo> text`, questions, and on a terminal a prompt
 * and colours. Without a terminal (a pipe, a file, a test) the output is
 * plain lines with no escape codes.
 *
 * @module
 */

import type { BellMode } from "./config.ts";
import { clockTime, dayLine, localDay, printable } from "./format.ts";

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

/**
 * A terminal with a prompt and a line being typed under the printed lines
 * (`TerminalInput` of `terminal_input.ts`).
 */
export interface Screen {
  /** Prints `text` above the prompt and the typed text, drawn again below. */
  printAbove(text: string): void;
  /** Sets the prompt and draws it with the text typed so far. */
  setPrompt(text: string): void;
  /** Rings the terminal bell. */
  bell(): void;
}

/** Options for {@linkcode Terminal}. */
export interface TerminalOptions {
  /** The terminal the soldier types into; without one, plain lines. */
  screen?: Screen;
  /** Use colours (only on a screen). */
  color: boolean;
  /** Writes plain lines. Default: synchronously to stdout. */
  write?: (text: string) => void;
}

/**
 * Prints the client's lines.
 *
 * @example
 * ```ts
 * import { Terminal } from "./terminal.ts";
 * const terminal = new Terminal({ color: false });
 * terminal.label = "[Alpha]";
 * terminal.status("ok", "✓ Quantum key established (QBER=2.0%) | Status: GREEN");
 * // [Alpha] ✓ Quantum key established (QBER=2.0%) | Status: GREEN
 * ```
 */
export class Terminal {
  /** Prefix of status lines, e.g. `[Alpha]`. */
  label = "";
  /** When the bell rings (on a screen only): messages and alarms, alarms, never. */
  bell: BellMode = "all";
  readonly #screen: Screen | undefined;
  readonly #color: boolean;
  readonly #write: (text: string) => void;
  #prompt = "";
  // The local day of the last chat line: a new day gets a date line.
  #day = "";

  /** Creates a terminal writer. */
  constructor(options: TerminalOptions) {
    this.#screen = options.screen;
    this.#color = options.screen !== undefined && options.color;
    this.#write = options.write ?? writeStdout;
  }

  /**
   * Sets the prompt shown under the printed lines on a terminal (empty for
   * none) and shows it.
   */
  setPrompt(text: string): void {
    this.#prompt = text;
    this.showPrompt();
  }

  /** Shows the prompt again (after the user pressed Enter). */
  showPrompt(): void {
    this.#screen?.setPrompt(this.#prompt);
  }

  /** Prints a line as is. */
  line(text: string): void {
    if (this.#screen) this.#screen.printAbove(text);
    else this.#write(`${text}\n`);
  }

  /**
   * Prints `label text`, coloured by `tone` on a terminal; the text may
   * quote the network (file names), so it is made safe to print.
   */
  status(tone: Tone, text: string): void {
    const line = `${this.label} ${printable(text)}`.trimStart();
    this.line(this.#paint(tone, line));
    if (tone === "alert" && this.bell !== "off") this.#screen?.bell();
  }

  /**
   * Prints a chat line `[HH:MM:SS] sender> text` with the time it was
   * written (default now), after a date line when the day is another than
   * the last chat line's; the text is made safe to print.
   */
  message(
    sender: string,
    text: string,
    options: { at?: Date; room?: string } = {},
  ): void {
    const at = options.at ?? new Date();
    const day = localDay(at);
    if (day !== this.#day) {
      this.#day = day;
      this.line(this.#paint("info", dayLine(at)));
    }
    const time = options.room === undefined
      ? clockTime(at)
      : `${clockTime(at)}] [${options.room}`;
    // A message of several lines (composed, pasted): the next lines are
    // indented under the first, each made safe to print.
    const [first, ...more] = text.split("\n").map(printable);
    const indent = " ".repeat(`[${time}] ${sender}> `.length);
    this.line(
      [
        `[${time}] ${this.#paint("peer", `${sender}>`)} ${first}`,
        ...more.map((line) => indent + line),
      ].join("\n"),
    );
    if (this.bell === "all") this.#screen?.bell();
  }

  /**
   * Prints a line of the kept history, `· [YYYY-MM-DD HH:MM:SS] sender>
   * text`: marked, so it is not taken for a line that just arrived.
   */
  historyLine(
    line: {
      sender: string;
      recipient?: string;
      text: string;
      writtenAt: number;
    },
  ): void {
    const at = new Date(line.writtenAt);
    // A room line is kept with the room's address `#ROOM` as recipient.
    const room = line.recipient?.startsWith("#")
      ? `[${line.recipient.slice(1)}] `
      : "";
    this.line(
      `· [${localDay(at)} ${clockTime(at)}] ${room}${line.sender}> ${
        printable(line.text)
      }`,
    );
  }

  /**
   * Asks a question: on a terminal the answer is typed after it on the
   * same line; otherwise it is printed as a line of its own.
   */
  ask(question: string): void {
    // On a terminal the question is the prompt until the client sets its own.
    if (this.#screen) this.setPrompt(question);
    else this.#write(`${question}\n`);
  }

  #paint(tone: Tone | "peer", text: string): string {
    return this.#color ? `${COLORS[tone]}${text}${RESET}` : text;
  }
}

/**
 * A terminal writer for this process's stdout, on `screen` when stdin and
 * stdout are a terminal, coloured unless `NO_COLOR` is set or `TERM` is
 * `dumb`.
 *
 * @example
 * ```ts ignore
 * import { stdoutTerminal } from "./terminal.ts";
 * stdoutTerminal().line("hello");
 * ```
 */
export function stdoutTerminal(screen?: Screen): Terminal {
  const noColor = (Deno.env.get("NO_COLOR") ?? "") !== "" ||
    Deno.env.get("TERM") === "dumb";
  return new Terminal({ screen, color: !noColor });
}

const encoder = new TextEncoder();

function writeStdout(text: string): void {
  const bytes = encoder.encode(text);
  for (let offset = 0; offset < bytes.length;) {
    offset += Deno.stdout.writeSync(bytes.subarray(offset));
  }
}
