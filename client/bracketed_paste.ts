/**
 * Bracketed paste (xterm's mode 2004): a terminal asked with
 * {@linkcode PASTE_ON} wraps pasted text in `ESC [200~` … `ESC [201~`, so
 * a pasted sitrep can be told from typed keys and sent as one message, its
 * lines never run as commands.
 *
 * @module
 */

/** Asks the terminal to bracket pastes. */
export const PASTE_ON = "\x1b[?2004h";
/** Asks it to stop. */
export const PASTE_OFF = "\x1b[?2004l";

const START = "\x1b[200~";
const END = "\x1b[201~";

/** Where a {@linkcode PasteSplitter}'s input goes. */
export interface PasteSplitterOptions {
  /** Typed keys, pastes taken out. */
  keys: (text: string) => void;
  /** A whole paste, line endings made `\n`. */
  paste: (text: string) => void;
}

/**
 * Splits terminal input into typed keys and pastes, whatever the chunks.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { PasteSplitter } from "./bracketed_paste.ts";
 * const seen: string[] = [];
 * const splitter = new PasteSplitter({
 *   keys: (text) => seen.push(`keys ${text}`),
 *   paste: (text) => seen.push(`paste ${JSON.stringify(text)}`),
 * });
 * splitter.write("a\x1b[20");
 * splitter.write("0~one\r\ntwo\x1b[201~b");
 * assertEquals(seen, ["keys a", 'paste "one\\ntwo"', "keys b"]);
 * ```
 */
export class PasteSplitter {
  readonly #options: PasteSplitterOptions;
  #pending = "";
  #pasting = false;
  #pasted = "";

  /** Sends what it splits to `options`. */
  constructor(options: PasteSplitterOptions) {
    this.#options = options;
  }

  /** Takes a chunk of terminal input. */
  write(chunk: string): void {
    let text = this.#pending + chunk;
    this.#pending = "";
    while (text !== "") {
      const marker = this.#pasting ? END : START;
      const at = text.indexOf(marker);
      if (at < 0) {
        // A marker cut at the chunk's end waits for the rest.
        const keep = partialMarker(text, marker);
        this.#take(text.slice(0, text.length - keep));
        this.#pending = text.slice(text.length - keep);
        return;
      }
      this.#take(text.slice(0, at));
      text = text.slice(at + marker.length);
      if (this.#pasting) {
        this.#options.paste(
          this.#pasted.replace(/\r\n?/g, "\n").replace(/\n+$/, ""),
        );
        this.#pasted = "";
      }
      this.#pasting = !this.#pasting;
    }
  }

  #take(text: string): void {
    if (text === "") return;
    if (this.#pasting) this.#pasted += text;
    else this.#options.keys(text);
  }
}

// How many characters at the end of `text` begin `marker`.
function partialMarker(text: string, marker: string): number {
  for (
    let length = Math.min(marker.length - 1, text.length);
    length > 0;
    length--
  ) {
    if (marker.startsWith(text.slice(-length))) return length;
  }
  return 0;
}
