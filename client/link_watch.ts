/**
 * What the client knows of the quantum link: the KMS's link status, polled
 * by a {@linkcode LinkMonitor} or given with a key, whether the KMS can be
 * reached, and the turns to RED and back that suspend and resume chat.
 *
 * @module
 */

import type { LinkStatus } from "../protocol/mod.ts";
import type { KmsApi } from "./kms_client.ts";
import { LinkMonitor } from "./link_monitor.ts";
import type { ClientOwnEvent } from "./messages.ts";

/** What the link watch reports. */
export type LinkEvent = Extract<
  ClientOwnEvent,
  { kind: "link_red" | "link_back" | "kms_unreachable" | "kms_back" }
>;

/** Options for {@linkcode LinkWatch}. */
export interface LinkWatchOptions {
  /** Told of every turn of the link, and of KMS outages. */
  onEvent: (event: LinkEvent) => void;
  /** The link turned RED. */
  onRed: () => void;
  /** The link is usable again after RED. */
  onGreen: () => void;
  /** Time between polls. Default the monitor's. */
  intervalMs?: number;
}

/**
 * The link's state, kept from polls and key answers.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { LinkWatch } from "./link_watch.ts";
 * const turns: string[] = [];
 * const watch = new LinkWatch({ linkStatus: () => Promise.reject() }, {
 *   onEvent: (event) => turns.push(event.kind),
 *   onRed: () => turns.push("suspend"),
 *   onGreen: () => turns.push("rekey"),
 * });
 * watch.report("RED", 0.2);
 * watch.report("RED", 0.3);
 * watch.report("GREEN", 0.02);
 * assertEquals(turns, ["link_red", "suspend", "link_back", "rekey"]);
 * ```
 */
export class LinkWatch {
  readonly #options: LinkWatchOptions;
  readonly #monitor: LinkMonitor;
  #link?: { status: LinkStatus; qber: number };
  #red = false;
  #kmsProblem?: string;

  /** Creates the watch; {@linkcode LinkWatch.start} starts polling. */
  constructor(kms: Pick<KmsApi, "linkStatus">, options: LinkWatchOptions) {
    this.#options = options;
    this.#monitor = new LinkMonitor(kms, {
      intervalMs: options.intervalMs,
      onStatus: (link) => {
        if (this.#kmsProblem !== undefined) {
          this.#options.onEvent({ kind: "kms_back" });
        }
        this.#kmsProblem = undefined;
        this.report(link.status, link.qber);
      },
      onUnreachable: ({ message }) => {
        // Once per outage: the monitor retries every few seconds.
        if (this.#kmsProblem === undefined) {
          this.#options.onEvent({ kind: "kms_unreachable", message });
        }
        this.#kmsProblem = message;
      },
    });
  }

  /** The last status and QBER heard, if any. */
  get link(): { status: LinkStatus; qber: number } | undefined {
    return this.#link;
  }

  /** Why the KMS cannot be reached, while it cannot. */
  get kmsProblem(): string | undefined {
    return this.#kmsProblem;
  }

  /** Starts polling the KMS. */
  start(): void {
    this.#monitor.start();
  }

  /** Stops polling. */
  stop(): Promise<void> {
    return this.#monitor.stop();
  }

  /** Takes a link status heard from the KMS (a poll, or a key answer). */
  report(status: LinkStatus, qber: number): void {
    this.#link = { status, qber };
    const red = status === "RED";
    if (red === this.#red) return;
    this.#red = red;
    if (red) {
      this.#options.onEvent({ kind: "link_red", qber });
      this.#options.onRed();
    } else {
      this.#options.onEvent({ kind: "link_back", status, qber });
      this.#options.onGreen();
    }
  }
}
