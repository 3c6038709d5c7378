/**
 * Typed lines on a terminal, edited by the client itself. The terminal's
 * own line editing cannot work here: a message arriving while the soldier
 * types is printed over the line, and the half-typed text would vanish from
 * the screen while still being sent. Reading keys (cbreak mode: Ctrl-C
 * still signals) lets the client redraw the prompt and the typed text after
 * every line it prints.
 *
 * Keys: printable text, Backspace, Ctrl-U (erase the line), Ctrl-W (erase
 * a word), Enter, Ctrl-D on an empty line (end of input). Escape sequences
 * (arrows, function keys) are ignored.
 *
 * @module
 */

import type { LineSource } from "./line_reader.ts";

/** What the editor shows and where. */
export interface LineEditorOptions {
  /** Shows `typed` after the prompt, replacing what was shown. */
  show: (typed: string) => void;
  /** Enter was pressed: the typed line stays on screen, a new one begins. */
  newLine: () => void;
}

const ESC = "\x1b";

/**
 * Lines typed on a terminal in cbreak mode.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { LineEditor } from "./line_editor.ts";
 * const keys = ReadableStream.from([new TextEncoder().encode("hi\x7fo\r")]);
 * const editor = new LineEditor(keys, { show: () => {}, newLine: () => {} });
 * assertEquals(await editor.next(), "ho");
 * ```
 */
export class LineEditor implements LineSource {
  readonly #reader: ReadableStreamDefaultReader<string>;
  readonly #options: LineEditorOptions;
  readonly #lines: (string | null)[] = [];
  #typed = "";
  #escape = "";
  #afterCr = false;
  #ended = false;

  /** Reads keys from `stream` (the terminal's stdin, in cbreak mode). */
  constructor(
    stream: ReadableStream<Uint8Array<ArrayBuffer>>,
    options: LineEditorOptions,
  ) {
    this.#reader = stream.pipeThrough(new TextDecoderStream()).getReader();
    this.#options = options;
  }

  /** What has been typed on the current line so far. */
  get typed(): string {
    return this.#typed;
  }

  /** The next finished line, or `null` at the end of input. */
  async next(): Promise<string | null> {
    while (this.#lines.length === 0) {
      if (this.#ended) return null;
      const { done, value } = await this.#reader.read();
      if (done) {
        this.#ended = true;
        if (this.#typed !== "") this.#finish();
        break;
      }
      for (const char of value) this.#key(char);
    }
    return this.#lines.length > 0 ? this.#lines.shift()! : null;
  }

  /** Stops reading. */
  async cancel(): Promise<void> {
    this.#ended = true;
    await this.#reader.cancel().catch(() => {});
  }

  #key(char: string): void {
    // A CR LF pair (a paste) is one Enter.
    const afterCr = this.#afterCr;
    this.#afterCr = char === "\r";
    if (this.#escape !== "" || char === ESC) return this.#skipEscape(char);
    switch (char) {
      case "\r":
        return this.#finish();
      case "\n":
        return afterCr ? undefined : this.#finish();
      case "\x7f":
      case "\b":
        return this.#edit(Array.from(this.#typed).slice(0, -1).join(""));
      case "\x15": // Ctrl-U
        return this.#edit("");
      case "\x17": // Ctrl-W
        return this.#edit(this.#typed.replace(/\S*\s*$/, ""));
      case "\x04": // Ctrl-D
        if (this.#typed === "") {
          this.#ended = true;
          this.#lines.push(null);
        }
        return;
      case "\t":
        return this.#edit(this.#typed + " ");
    }
    if (char < " ") return; // other control keys
    this.#edit(this.#typed + char);
  }

  // ESC [ params final, ESC O x, or ESC x: swallowed whole.
  #skipEscape(char: string): void {
    this.#escape += char;
    const sequence = this.#escape;
    if (sequence.length === 1) return;
    if (sequence.length === 2 && sequence[1] !== "[" && sequence[1] !== "O") {
      this.#escape = "";
      return;
    }
    if (sequence.length === 2) return;
    if (sequence[1] === "O" || (char >= "@" && char <= "~")) this.#escape = "";
  }

  #edit(typed: string): void {
    this.#typed = typed;
    this.#options.show(typed);
  }

  #finish(): void {
    const line = this.#typed;
    this.#typed = "";
    this.#options.newLine();
    this.#lines.push(line);
  }
}
