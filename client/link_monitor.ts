/**
 * Watches the quantum link the way the router guard does: polls the KMS's
 * `GET /link_status` every few seconds, so the client stops chatting when
 * the link turns RED even if no router cuts the connection.
 *
 * @module
 */

import type { LinkStatusResponse } from "../protocol/mod.ts";
import type { KmsApi } from "./kms_client.ts";
import { delay } from "../common/std.ts";

/** The router guard's poll interval (seed). */
export const LINK_POLL_MS = 3000;

/** Options for {@linkcode LinkMonitor}. */
export interface LinkMonitorOptions {
  /** Called with every answer. */
  onStatus: (link: LinkStatusResponse) => void;
  /** Called when a poll fails (the KMS is unreachable or answers nonsense). */
  onUnreachable?: (error: Error) => void;
  /** Time between polls. Default {@linkcode LINK_POLL_MS}. */
  intervalMs?: number;
}

/**
 * Polls the link status until stopped.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { LinkMonitor } from "./link_monitor.ts";
 * import { SAMPLE_LINK_REPORT } from "../protocol/_test_link_report.ts";
 * const seen = Promise.withResolvers<string>();
 * const kms = {
 *   linkStatus: () =>
 *     Promise.resolve({
 *       status: "GREEN" as const,
 *       qber: 0.02,
 *       total_keys_issued: 1,
 *       attacks_detected: 0,
 *       active_sessions: 1,
 *       history: [0.02],
 *       router_last_seen: null,
 *       attack_mode: false,
 *       link: SAMPLE_LINK_REPORT,
 *     }),
 * };
 * const monitor = new LinkMonitor(kms, {
 *   onStatus: (link) => seen.resolve(link.status),
 * });
 * monitor.start();
 * assertEquals(await seen.promise, "GREEN");
 * await monitor.stop();
 * ```
 */
export class LinkMonitor {
  readonly #kms: Pick<KmsApi, "linkStatus">;
  readonly #options: LinkMonitorOptions;
  readonly #stop = new AbortController();
  #loop?: Promise<void>;

  /** Creates a monitor; {@linkcode LinkMonitor.start} starts polling. */
  constructor(kms: Pick<KmsApi, "linkStatus">, options: LinkMonitorOptions) {
    this.#kms = kms;
    this.#options = options;
  }

  /** Polls now and then every interval. */
  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stops polling and waits for a poll in flight. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    const interval = this.#options.intervalMs ?? LINK_POLL_MS;
    while (!signal.aborted) {
      try {
        this.#options.onStatus(await this.#kms.linkStatus({ signal }));
      } catch (error) {
        if (signal.aborted) return;
        this.#options.onUnreachable?.(error as Error);
      }
      await delay(interval, { signal }).catch(() => {});
    }
  }
}
