/**
 * Lines from stdin, one at a time, for the start-up questions and then the
 * chat: the same reader serves both, so no typed line is lost between them.
 *
 * @module
 */

/** Text pasted on a terminal, several lines: one message, never commands. */
export interface Pasted {
  /** Kind. */
  kind: "pasted";
  /** The text, lines joined by `\n`. */
  text: string;
}

/** Where the client's typed lines come from: a pipe or a terminal. */
export interface LineSource {
  /** The next line (or paste), or `null` at the end of input. */
  next(): Promise<string | Pasted | null>;
  /** Stops reading. */
  cancel(): Promise<void>;
}

/** Longest line kept whole; a longer one is cut into lines of this size. */
const MAX_LINE_CHARS = 1 << 20;

/**
 * Reads UTF-8 lines (ending in `\n` or `\r\n`) from a byte stream.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { LineReader } from "./line_reader.ts";
 * const reader = new LineReader(ReadableStream.from([
 *   new TextEncoder().encode("a\r\nb"),
 * ]));
 * assertEquals(await reader.next(), "a");
 * assertEquals(await reader.next(), "b");
 * assertEquals(await reader.next(), null);
 * ```
 */
export class LineReader implements LineSource {
  readonly #reader: ReadableStreamDefaultReader<string>;
  #buffer = "";
  #ended = false;

  /** Reads from `stream`. */
  constructor(stream: ReadableStream<Uint8Array<ArrayBuffer>>) {
    this.#reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  }

  /** The next line without its line ending, or `null` at the end. */
  async next(): Promise<string | null> {
    while (true) {
      const newline = this.#buffer.indexOf("\n");
      if (newline >= 0) return this.#take(newline, newline + 1);
      if (this.#buffer.length >= MAX_LINE_CHARS) {
        return this.#take(MAX_LINE_CHARS, MAX_LINE_CHARS);
      }
      if (this.#ended) {
        if (this.#buffer === "") return null;
        return this.#take(this.#buffer.length, this.#buffer.length);
      }
      const { done, value } = await this.#reader.read();
      if (done) this.#ended = true;
      else this.#buffer += value;
    }
  }

  /** Stops reading (the stream is cancelled). */
  async cancel(): Promise<void> {
    this.#ended = true;
    await this.#reader.cancel().catch(() => {});
  }

  #take(end: number, next: number): string {
    const line = this.#buffer.slice(0, end).replace(/\r$/, "");
    this.#buffer = this.#buffer.slice(next);
    return line;
  }
}
