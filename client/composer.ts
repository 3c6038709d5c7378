/**
 * Multi-line messages: `/compose`, or a paste of several lines, gathers
 * lines into one message; a line with only `.` sends it, `/cancel` drops
 * it. While composing, lines are text, never commands.
 *
 * @module
 */

import { type Command, parseCommand } from "./commands.ts";
import type { Pasted } from "./line_reader.ts";
import type { ClientEvent } from "./messages.ts";

/**
 * What typed lines and pastes mean, composing or not.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { Composer } from "./composer.ts";
 * const composer = new Composer({ say: () => {} });
 * assertEquals(composer.take({ kind: "pasted", text: "one\n/quit" }), undefined);
 * assertEquals(composer.take("three"), undefined);
 * assertEquals(composer.take("."), { kind: "text", text: "one\n/quit\nthree" });
 * ```
 */
export class Composer {
  readonly #say: (event: ClientEvent) => void;
  #lines: string[] | undefined;

  /** Tells the soldier through `options.say`. */
  constructor(options: { say: (event: ClientEvent) => void }) {
    this.#say = options.say;
  }

  /** Whether a message is being composed. */
  get composing(): boolean {
    return this.#lines !== undefined;
  }

  /** Starts a message with `lines` (none for `/compose`). */
  start(lines: string[] = []): void {
    this.#lines = [...this.#lines ?? [], ...lines];
    this.#say({ kind: "composing", lines: this.#lines.length });
  }

  /**
   * Takes a typed line or a paste: the command to run or text to send, or
   * `undefined` when it went into the message being composed.
   */
  take(line: string | Pasted): Command | undefined {
    if (typeof line !== "string") {
      this.start(line.text.split("\n"));
      return undefined;
    }
    if (this.#lines === undefined) return parseCommand(line);
    if (line.trim() === "/cancel") {
      this.#lines = undefined;
      this.#say({ kind: "compose_cancelled" });
      return undefined;
    }
    if (line !== ".") {
      this.#lines.push(line);
      return undefined;
    }
    const text = this.#lines.join("\n");
    this.#lines = undefined;
    return text.trim() === "" ? { kind: "none" } : { kind: "text", text };
  }
}
