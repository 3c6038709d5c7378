/**
 * How the chat client ends: `/quit` lists what is unconfirmed and leaves;
 * the end of input waits up to {@linkcode EOF_WAIT_MS} for the receipts
 * (of peers and of room members), then lists what is left and leaves with
 * 1.
 *
 * @module
 */

import type { KeptChat } from "./kept_chat.ts";
import type { ClientEvent } from "./messages.ts";
import type { Outbox } from "./outbox.ts";

/** How long end of input waits for receipts. */
export const EOF_WAIT_MS = 10_000;

/** Options for {@linkcode Leaving}. */
export interface LeavingOptions {
  /** Every unconfirmed line, pair and room. */
  outbox: Outbox;
  /** Says the kept lines will wait for the next start. */
  kept: Pick<KeptChat, "leaving">;
  /** Shows a status line. */
  say: (event: ClientEvent) => void;
  /** Ends the client with an exit code. */
  finish: (code: number) => void;
}

/**
 * The client's ways out.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { Leaving } from "./leaving.ts";
 * import { Outbox } from "./outbox.ts";
 * const codes: number[] = [];
 * const leaving = new Leaving({
 *   outbox: new Outbox(),
 *   kept: { leaving: () => {} },
 *   say: () => {},
 *   finish: (code) => codes.push(code),
 * });
 * leaving.endOfInput();
 * assertEquals(codes, [0]);
 * ```
 */
export class Leaving {
  readonly #options: LeavingOptions;
  #deadline?: number;

  /** Creates the ways out of one client. */
  constructor(options: LeavingOptions) {
    this.#options = options;
  }

  /** `/quit`: what is unconfirmed is listed (and kept), then bye. */
  quit(): void {
    const { outbox, say } = this.#options;
    const left = outbox.entries();
    if (left.length > 0) say({ kind: "leaving", count: left.length });
    for (const entry of left) say({ kind: "not_confirmed", entry });
    this.#options.kept.leaving();
    say({ kind: "bye" });
    this.#options.finish(0);
  }

  /** Input ended: leave now, or once the receipts came (or time is up). */
  endOfInput(): void {
    const count = this.#options.outbox.size();
    if (count === 0) return this.#options.finish(0);
    this.#deadline = Date.now() + EOF_WAIT_MS;
    this.#options.say({ kind: "eof_waiting", count, waitMs: EOF_WAIT_MS });
  }

  /** After a receipt and every second: leaves if input ended and it may. */
  check(): void {
    if (this.#deadline === undefined) return;
    const left = this.#options.outbox.entries();
    if (left.length === 0) return this.#options.finish(0);
    if (Date.now() < this.#deadline) return;
    for (const entry of left) {
      this.#options.say({ kind: "not_confirmed", entry });
    }
    this.#options.finish(1);
  }
}
