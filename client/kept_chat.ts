/**
 * The running client's side of the chat store: the outbox restored at start
 * and saved on every change, each line written or shown added to the
 * history, the recent history shown at start and by `/history N`.
 *
 * @module
 */

import type { ChatStore } from "./chat_store.ts";
import type { ShownLine } from "./line_order.ts";
import type { ClientEvent } from "./messages.ts";
import type { Outbox } from "./outbox.ts";
import type { Terminal } from "./terminal.ts";

/** History lines shown at start. */
const SHOWN_AT_START = 10;

/** Options for {@linkcode KeptChat}. */
export interface KeptChatOptions {
  /** This device. */
  deviceId: string;
  /** The outbox to restore and save. */
  outbox: Outbox;
  /** Where history lines are printed. */
  terminal: Pick<Terminal, "historyLine">;
  /** Shows a status line. */
  say: (event: ClientEvent) => void;
}

/**
 * History and unconfirmed lines across restarts; without a store (tests,
 * a client given no state folder) nothing is kept.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { KeptChat } from "./kept_chat.ts";
 * import { Outbox } from "./outbox.ts";
 * const said: string[] = [];
 * const kept = new KeptChat(undefined, {
 *   deviceId: "Soldier_Alpha",
 *   outbox: new Outbox(),
 *   terminal: { historyLine: () => {} },
 *   say: (event) => said.push(event.kind),
 * });
 * kept.show(20);
 * assertEquals(said, ["history_empty"]);
 * ```
 */
export class KeptChat {
  readonly #store: ChatStore | undefined;
  readonly #options: KeptChatOptions;

  /** Restores the store's unconfirmed lines and saves the outbox from now on. */
  constructor(store: ChatStore | undefined, options: KeptChatOptions) {
    this.#store = store;
    this.#options = options;
    if (!store) return;
    const { outbox } = options;
    store.onError((error) =>
      options.say({ kind: "chat_unsaved", message: (error as Error).message })
    );
    outbox.restore(store.chat.outbox, store.chat.lineNumbers);
    outbox.onChange = (added) => {
      if (added?.item.kind === "msg") {
        store.addHistory({
          sender: options.deviceId,
          recipient: added.peer,
          text: added.item.text,
          writtenAt: added.writtenAt,
        });
      }
      store.setOutbox(outbox.savedLines(), outbox.lineNumbers());
    };
  }

  /** At start: the recent history, and how many kept lines wait. */
  start(): void {
    const store = this.#store;
    if (!store) return;
    if (store.chat.history.length > 0) this.show(SHOWN_AT_START);
    const waiting = store.chat.outbox.length;
    if (waiting > 0) this.#options.say({ kind: "restored", count: waiting });
  }

  /** Leaving: says that the unconfirmed lines are kept for the next start. */
  leaving(): void {
    const count = this.#options.outbox.savedLines().length;
    if (this.#store && count > 0) {
      this.#options.say({ kind: "kept_for_next_start", count });
    }
  }

  /** Prints the last `count` lines kept. */
  show(count: number): void {
    const history = this.#store?.chat.history ?? [];
    if (history.length === 0) {
      return this.#options.say({ kind: "history_empty" });
    }
    const shown = history.slice(-count);
    this.#options.say({
      kind: "history_shown",
      shown: shown.length,
      kept: history.length,
    });
    for (const line of shown) this.#options.terminal.historyLine(line);
  }

  /**
   * Adds a line from a peer, as shown; a room line with the room's address
   * as `recipient`.
   */
  received(line: ShownLine, recipient = this.#options.deviceId): void {
    this.#store?.addHistory({
      mid: line.mid,
      sender: line.sender,
      recipient,
      text: line.text,
      writtenAt: line.writtenAt,
    });
  }

  /** The lines received before this run, by sender and message id. */
  seen(): { sender: string; mid: string }[] {
    return (this.#store?.chat.history ?? []).flatMap((line) =>
      line.mid !== undefined && line.sender !== this.#options.deviceId
        ? [{ sender: line.sender, mid: line.mid }]
        : []
    );
  }

  /** Resolves when everything so far is on disk. */
  saved(): Promise<void> {
    return this.#store?.saved() ?? Promise.resolve();
  }
}
