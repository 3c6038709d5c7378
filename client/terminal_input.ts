/**
 * Typed lines on a terminal, edited by `node:readline` (Deno's Node
 * compatibility layer): it wraps long lines, moves the cursor (Left, Right,
 * Home, End, Ctrl-A, Ctrl-E), recalls earlier lines (Up, Down), erases
 * (Backspace, Ctrl-U, Ctrl-W) and clears the screen (Ctrl-L). The client
 * prints its own lines above the prompt through
 * {@linkcode TerminalInput.printAbove}, which erases the prompt and the
 * typed text, however many rows they wrap to, and draws them again below.
 *
 * @module
 */

import {
  clearScreenDown,
  createInterface,
  cursorTo,
  type Interface,
  moveCursor,
} from "node:readline";
import process from "node:process";
import { PassThrough, type Readable, type Writable } from "node:stream";
import { PASTE_OFF, PASTE_ON, PasteSplitter } from "./bracketed_paste.ts";
import type { LineSource, Pasted } from "./line_reader.ts";
import type { Screen } from "./terminal.ts";

/** Options for {@linkcode TerminalInput}. */
export interface TerminalInputOptions {
  /** Keys: the terminal's stdin (put in raw mode while reading). */
  input: Readable & { setRawMode?: (raw: boolean) => void };
  /** The terminal's stdout: every interactive line is written here. */
  output: Writable;
  /** Ctrl-C was pressed (raw mode: the key, not a signal). */
  onInterrupt: () => void;
  /** Lines kept for Up and Down. Default 200. */
  historySize?: number;
}

/**
 * The soldier's terminal: typed lines in, the client's lines printed above
 * the prompt.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { PassThrough } from "node:stream";
 * import { TerminalInput } from "./terminal_input.ts";
 * const keys = new PassThrough();
 * const input = new TerminalInput({
 *   input: keys,
 *   output: new PassThrough(),
 *   onInterrupt: () => {},
 * });
 * keys.write("hj\x7fi\r");
 * assertEquals(await input.next(), "hi");
 * await input.cancel();
 * ```
 */
export class TerminalInput implements LineSource, Screen {
  readonly #readline: Interface;
  readonly #output: Writable;
  readonly #input: TerminalInputOptions["input"];
  readonly #lines: (string | Pasted | null)[] = [];
  #wake: (() => void) | undefined;
  #closed = false;

  /** Starts reading keys from `options.input`. */
  constructor(options: TerminalInputOptions) {
    this.#output = options.output;
    this.#input = options.input;
    // Pastes are taken out before readline sees the keys (it does not know
    // bracketed paste): readline reads `keys`.
    const keys = new PassThrough();
    const splitter = new PasteSplitter({
      keys: (text) => keys.write(text),
      paste: (text) => this.#paste(text),
    });
    const decoder = new TextDecoder();
    options.input.on("data", (chunk: Uint8Array | string) => {
      splitter.write(
        typeof chunk === "string"
          ? chunk
          : decoder.decode(chunk, { stream: true }),
      );
    });
    options.input.on("end", () => keys.end());
    options.input.setRawMode?.(true);
    options.output.write(PASTE_ON);
    this.#readline = createInterface({
      input: keys,
      output: options.output,
      terminal: true,
      historySize: options.historySize ?? 200,
      removeHistoryDuplicates: true,
      prompt: "",
    });
    this.#readline.on("line", (line: string) => this.#push(line));
    // Ctrl-D on an empty line, or the end of stdin.
    this.#readline.on("close", () => {
      this.#closed = true;
      this.#push(null);
    });
    this.#readline.on("SIGINT", () => options.onInterrupt());
    // Ctrl-Z: the terminal back to normal while stopped, raw again after
    // `fg` (readline cannot do it: it reads a stream, not the terminal).
    this.#readline.on("SIGTSTP", () => {
      options.input.setRawMode?.(false);
      options.output.write(PASTE_OFF);
      process.once("SIGCONT", () => {
        options.input.setRawMode?.(true);
        options.output.write(PASTE_ON);
        this.#readline.prompt(true);
      });
      process.kill(process.pid, "SIGTSTP");
    });
  }

  /** The next line typed (or pasted), or `null` at the end of input. */
  async next(): Promise<string | Pasted | null> {
    while (this.#lines.length === 0) {
      if (this.#closed) return null;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    return this.#lines.shift()!;
  }

  /** Stops reading and gives the terminal back its normal mode. */
  cancel(): Promise<void> {
    if (!this.#closed) this.#readline.close();
    this.#input.setRawMode?.(false);
    this.#input.pause();
    this.#output.write(PASTE_OFF);
    return Promise.resolve();
  }

  /** Sets the prompt and draws it with the text typed so far. */
  setPrompt(text: string): void {
    if (this.#closed) return;
    this.#readline.setPrompt(text);
    this.#readline.prompt(true);
  }

  /**
   * Prints `text` (one or more lines) where the prompt was, then the prompt
   * and the typed text again below it, the cursor where it was in the text.
   */
  printAbove(text: string): void {
    if (this.#closed) {
      this.#output.write(`${text}\n`);
      return;
    }
    // The cursor's row within the wrapped prompt and text: up to its first
    // row, erase to the end of the screen, print.
    const { rows } = this.#readline.getCursorPos();
    moveCursor(this.#output, 0, -rows);
    cursorTo(this.#output, 0);
    clearScreenDown(this.#output);
    // readline's redraw climbs back up as many rows as the cursor was on
    // before (it remembers them): as many empty rows, which it erases.
    this.#output.write(`${text}\n${"\n".repeat(rows)}`);
    this.#readline.prompt(true);
  }

  // One pasted line is typed into the line being edited; more become one
  // message, with what was typed before them.
  #paste(text: string): void {
    if (this.#closed) return;
    if (!text.includes("\n")) return void this.#readline.write(text);
    const typed = this.#readline.line;
    this.#readline.write(null, { ctrl: true, name: "u" });
    this.#readline.write(null, { ctrl: true, name: "k" });
    this.#push({ kind: "pasted", text: typed + text });
  }

  /** Rings the terminal bell. */
  bell(): void {
    this.#output.write("\x07");
  }

  #push(line: string | Pasted | null): void {
    this.#lines.push(line);
    this.#wake?.();
    this.#wake = undefined;
  }
}
