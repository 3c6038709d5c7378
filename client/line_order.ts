/**
 * A peer's chat lines in the order it wrote them. Each line carries the
 * sender's number for it (`n`, inside the encrypted payload) and the time
 * it was written (the packet's authenticated timestamp). A line that
 * arrives ahead of a missing one is held a moment for it; one that comes
 * after a later line was shown is shown as late.
 *
 * @module
 */

/** A chat line as received. */
export interface ChatLine {
  /** Its message id. */
  mid: string;
  /** Its text. */
  text: string;
  /** When the sender wrote it (milliseconds since the epoch). */
  writtenAt: number;
  /** The sender's number for it; absent from older clients. */
  n?: number;
}

/** A chat line to show. */
export interface ShownLine extends ChatLine {
  /** Who wrote it. */
  sender: string;
  /** Shown after a line the sender wrote later. */
  late: boolean;
}

/** How long a line waits for the one before it. */
export const HOLD_MS = 2000;

interface SenderState {
  lastN?: number;
  lastAt: number;
  held: Map<number, ChatLine>;
  timer?: ReturnType<typeof setTimeout>;
}

/**
 * Puts each sender's lines in order before they are shown.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { LineOrder } from "./line_order.ts";
 * const shown: string[] = [];
 * const order = new LineOrder({
 *   show: (line) => shown.push(`${line.text}${line.late ? " (late)" : ""}`),
 * });
 * order.take("Soldier_Bravo", { mid: "m1", text: "one", writtenAt: 1000, n: 1 });
 * order.take("Soldier_Bravo", { mid: "m3", text: "three", writtenAt: 3000, n: 3 });
 * order.take("Soldier_Bravo", { mid: "m2", text: "two", writtenAt: 2000, n: 2 });
 * assertEquals(shown, ["one", "two", "three"]);
 * order.close();
 * ```
 */
export class LineOrder {
  readonly #show: (line: ShownLine) => void;
  readonly #holdMs: number;
  readonly #senders = new Map<string, SenderState>();

  /** Shows lines through `options.show`, holding them `holdMs` at most. */
  constructor(
    options: { show: (line: ShownLine) => void; holdMs?: number },
  ) {
    this.#show = options.show;
    this.#holdMs = options.holdMs ?? HOLD_MS;
  }

  /** Takes a line from `sender`; shows it now, or once in order. */
  take(sender: string, line: ChatLine): void {
    let state = this.#senders.get(sender);
    if (!state) {
      state = { lastAt: 0, held: new Map() };
      this.#senders.set(sender, state);
    }
    const { n } = line;
    if (n === undefined || state.lastN === undefined || n === state.lastN + 1) {
      this.#showInOrder(sender, state, line);
      return this.#drain(sender, state);
    }
    if (n <= state.lastN) {
      // Numbering that starts again after a later line: a restarted sender.
      if (n === 1 && line.writtenAt >= state.lastAt) {
        return this.#showInOrder(sender, state, line);
      }
      return this.#show({ ...line, sender, late: true });
    }
    state.held.set(n, line);
    state.timer ??= setTimeout(
      () => this.#release(sender, state),
      this.#holdMs,
    );
  }

  /** Shows every held line and stops the timers. */
  close(): void {
    for (const [sender, state] of this.#senders) this.#release(sender, state);
  }

  #showInOrder(sender: string, state: SenderState, line: ChatLine): void {
    if (line.n !== undefined) state.lastN = line.n;
    state.lastAt = Math.max(state.lastAt, line.writtenAt);
    this.#show({ ...line, sender, late: false });
  }

  #drain(sender: string, state: SenderState): void {
    while (state.lastN !== undefined && state.held.has(state.lastN + 1)) {
      const next = state.held.get(state.lastN + 1)!;
      state.held.delete(state.lastN + 1);
      this.#showInOrder(sender, state, next);
    }
    if (state.held.size === 0) this.#stopTimer(state);
  }

  // The missing line did not come in time: what is held is shown, in order;
  // the missing one will be late.
  #release(sender: string, state: SenderState): void {
    this.#stopTimer(state);
    const held = [...state.held.entries()].sort(([a], [b]) => a - b);
    state.held.clear();
    for (const [, line] of held) this.#showInOrder(sender, state, line);
  }

  #stopTimer(state: SenderState): void {
    clearTimeout(state.timer);
    state.timer = undefined;
  }
}
