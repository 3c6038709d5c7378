/**
 * What the client makes of the KMS's news about keys and tickets: a fresh
 * key is adopted, a RED refusal reported to the link watch, a missing or
 * refused token said once (with the enroll command), the rest said as it
 * comes.
 *
 * @module
 */

import type { ClientConfig } from "./config.ts";
import type { KmsKey } from "./kms_client.ts";
import type { LinkWatch } from "./link_watch.ts";
import type { ClientEvent } from "./messages.ts";
import type { TicketEvent } from "./relay_tickets.ts";
import type { KeyEvent } from "./session_keys.ts";

/** Options for {@linkcode KmsNews}. */
export interface KmsNewsOptions {
  /** The device and whether it was given a token. */
  config: Pick<ClientConfig, "deviceId" | "token">;
  /** Shows a status line. */
  say: (event: ClientEvent) => void;
  /** The link watch, told of the link status keys come with. */
  link: () => Pick<LinkWatch, "report" | "link">;
  /** Takes a fresh pair key into the channel. */
  adopt: (key: KmsKey) => Promise<void>;
}

/**
 * The handlers of key and ticket events.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { KmsNews } from "./kms_news.ts";
 * const said: string[] = [];
 * const news = new KmsNews({
 *   config: { deviceId: "Soldier_Alpha" },
 *   say: (event) => said.push(event.kind),
 *   link: () => ({ report: () => {}, link: undefined }),
 *   adopt: () => Promise.resolve(),
 * });
 * news.onTicketEvent({ kind: "ticket_refused", reason: "unauthorized", message: "no token" });
 * news.onTicketEvent({ kind: "ticket_refused", reason: "unauthorized", message: "no token" });
 * assertEquals(said, ["token_needed"]);
 * ```
 */
export class KmsNews {
  readonly #options: KmsNewsOptions;
  #tokenHinted = false;

  /** Creates the handlers. */
  constructor(options: KmsNewsOptions) {
    this.#options = options;
  }

  /** A relay ticket event. */
  onTicketEvent(event: TicketEvent): void {
    if (event.kind === "ticket_refused" && event.reason === "unauthorized") {
      return this.#tokenNeeded();
    }
    this.#options.say(event);
  }

  /** A key event of the re-key loop or a key fetch. */
  async onKeyEvent(event: KeyEvent): Promise<void> {
    const { say } = this.#options;
    const link = this.#options.link();
    if (
      event.kind === "no_key" && "failed" in event.cause &&
      event.cause.httpStatus === 401
    ) {
      say(event);
      return this.#tokenNeeded();
    }
    if (event.kind === "refused_red") {
      return link.report("RED", event.qber ?? link.link?.qber ?? 0);
    }
    if (event.kind !== "key_ready") return say(event);
    link.report(event.key.status, event.key.qber);
    say(event);
    await this.#options.adopt(event.key);
  }

  // A missing or refused token, from any KMS call: said once.
  #tokenNeeded(): void {
    if (this.#tokenHinted) return;
    this.#tokenHinted = true;
    const { deviceId, token } = this.#options.config;
    this.#options.say({
      kind: "token_needed",
      deviceId,
      hadToken: token !== undefined,
    });
  }
}
