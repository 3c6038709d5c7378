/**
 * The dashboard server's one connection to the KMS: follows its `/events`
 * stream with the operator's credential (reconnecting by itself when the
 * KMS goes away), polls
 * `/link_status` for the counters and the router heartbeat, and forwards the
 * operator's Force Attack and Reset.
 *
 * @module
 */

import { errorMessage } from "../common/error_message.ts";
import { delay, ServerSentEventParseStream } from "../common/std.ts";
import { parseHealth, parseKmsMessage, parseLinkStatus } from "./kms_wire.ts";
import {
  INITIAL_SOC_STATE,
  reduceSoc,
  type SocEvent,
  type SocState,
} from "./soc_state.ts";
import { percent } from "./format.ts";

/** Options for {@linkcode KmsMonitor}. */
export interface KmsMonitorOptions {
  /** Base URL of the KMS, without a trailing slash. */
  kmsUrl: string;
  /** The fetch to use (tests pass a fake KMS). Default `fetch`. */
  fetch?: typeof fetch;
  /** Wait between reconnection attempts. Default 1 s. */
  retryMs?: number;
  /** Interval of `/link_status` polls while connected. Default 3 s. */
  pollMs?: number;
  /** Where connection changes are reported. Default console.log. */
  log?: (line: string) => void;
  /**
   * The operator's bearer token, sent on `/events`, Force Attack and Reset
   * (the KMS refuses them without one unless it runs `--open`).
   */
  operatorToken?: string;
}

/** What the operator can ask the KMS to do. */
export type OperatorAction = "force_attack" | "reset";

/** The outcome of an operator action, for the button that asked. */
export interface ActionResult {
  /** Whether the KMS did it. */
  ok: boolean;
  /** One line for the operator. */
  message: string;
}

// Refresh the counters just after a burst of the events that change them.
const POLL_AFTER_EVENT_MS = 100;
// The events after which a counter has changed: keys issued and sessions
// (key), attacks detected (attack), and an operator's action. The link's
// blocks and pool changes come several times a second and change none.
const COUNTER_EVENTS = new Set(["key", "attack", "attack_mode", "reset"]);
// Generous: a loaded machine may answer slowly, and a poll that gives up
// restarts the subscription.
const POLL_TIMEOUT_MS = 5_000;
// Force Attack waits on the KMS for the link's blocks to turn RED.
const ACTION_TIMEOUT_MS = 15_000;

/**
 * Watches one KMS and keeps the {@linkcode SocState}.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { KmsMonitor } from "./kms_monitor.ts";
 *
 * const monitor = new KmsMonitor({
 *   kmsUrl: "http://kms.test",
 *   fetch: () => Promise.reject(new TypeError("connection refused")),
 *   log: () => {},
 * });
 * const first = new Promise((resolve) => monitor.subscribe(resolve));
 * monitor.start();
 * assertEquals(await first, { type: "kms", kms: "unreachable" });
 * assertEquals(await monitor.act("reset"), {
 *   ok: false,
 *   message: "KMS unreachable at http://kms.test",
 * });
 * await monitor.close();
 * ```
 */
export class KmsMonitor {
  #url: string;
  #fetch: typeof fetch;
  #retryMs: number;
  #pollMs: number;
  #log: (line: string) => void;
  #operatorToken: string | undefined;
  #state: SocState = INITIAL_SOC_STATE;
  #listeners = new Set<(event: SocEvent) => void>();
  #closed = new AbortController();
  #stream: AbortController | null = null;
  #reader:
    | ReadableStreamDefaultReader<{ event?: string; data?: string }>
    | null = null;
  #following: Promise<void> | null = null;
  #pollTimer: ReturnType<typeof setTimeout> | undefined;
  #pollDue = 0;
  #polling = false;
  #pollAgain = false;

  /** Creates a monitor; {@linkcode KmsMonitor.start} connects. */
  constructor(options: KmsMonitorOptions) {
    this.#url = options.kmsUrl;
    this.#fetch = options.fetch ?? fetch;
    this.#retryMs = options.retryMs ?? 1_000;
    this.#pollMs = options.pollMs ?? 3_000;
    this.#log = options.log ?? console.log;
    this.#operatorToken = options.operatorToken;
  }

  get kmsUrl(): string {
    return this.#url;
  }

  get state(): SocState {
    return this.#state;
  }

  /** Aborted by {@linkcode KmsMonitor.close}: open browser streams end with it. */
  get closed(): AbortSignal {
    return this.#closed.signal;
  }

  /** Calls `listener` with every later event; returns the unsubscribe. */
  subscribe(listener: (event: SocEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Starts following the KMS. */
  start(): void {
    this.#following ??= this.#follow();
  }

  /** Stops following and polling, and ends subscribers' streams. */
  async close(): Promise<void> {
    this.#closed.abort();
    clearTimeout(this.#pollTimer);
    // The fetch's abort does not always reach a read pending on the parsed
    // stream (a test's dashboard once never exited): cancel the read too.
    await this.#reader?.cancel().catch(() => {});
    await this.#following;
  }

  /** Forwards Force Attack or Reset to the KMS. */
  async act(action: OperatorAction): Promise<ActionResult> {
    let response: Response;
    try {
      response = await this.#fetch(`${this.#url}/${action}`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...this.#authorization(),
        },
        body: "{}",
        signal: AbortSignal.any([
          AbortSignal.timeout(ACTION_TIMEOUT_MS),
          this.#closed.signal,
        ]),
      });
    } catch {
      return { ok: false, message: `KMS unreachable at ${this.#url}` };
    }
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      return {
        ok: false,
        message: `the KMS refused (${response.status}): ${
          typeof body?.message === "string" ? body.message : "no reason given"
        }`,
      };
    }
    this.#schedulePoll(0);
    return {
      ok: true,
      message: action === "reset"
        ? "Reset complete: attack mode off, link GREEN, a new epoch begins"
        : `Attack simulated: link ${body?.status ?? "?"}, QBER ${
          typeof body?.qber === "number" ? percent(body.qber) : "?"
        }`,
    };
  }

  #authorization(): Record<string, string> {
    return this.#operatorToken
      ? { authorization: `Bearer ${this.#operatorToken}` }
      : {};
  }

  #apply(event: SocEvent): void {
    this.#state = reduceSoc(this.#state, event);
    for (const listener of this.#listeners) listener(event);
  }

  async #follow(): Promise<void> {
    const closed = this.#closed.signal;
    while (!closed.aborted) {
      const stream = new AbortController();
      this.#stream = stream;
      let reason = "the event stream ended";
      try {
        const response = await this.#fetch(`${this.#url}/events`, {
          headers: { accept: "text/event-stream", ...this.#authorization() },
          signal: AbortSignal.any([stream.signal, closed]),
        });
        if (!response.ok || !response.body) {
          await response.body?.cancel();
          throw new Error(`GET /events answered ${response.status}`);
        }
        this.#log(`KMS live at ${this.#url}`);
        this.#apply({ type: "kms", kms: "live" });
        this.#schedulePoll(0);
        this.#askAuth();
        const reader = response.body.pipeThrough(
          new ServerSentEventParseStream({ ignoreComments: true }),
        ).getReader();
        this.#reader = reader;
        while (!closed.aborted) {
          const { done, value: message } = await reader.read();
          if (done) break;
          if (message.event === undefined || message.data === undefined) {
            continue;
          }
          const event = parseKmsMessage(message.event, message.data);
          if (event) this.#apply(event);
          if (COUNTER_EVENTS.has(message.event)) {
            this.#schedulePoll(POLL_AFTER_EVENT_MS);
          }
        }
      } catch (error) {
        reason = errorMessage(error);
      }
      if (closed.aborted) break;
      // Once per outage, not on every retry.
      if (this.#state.kms !== "unreachable") {
        this.#log(
          `KMS unreachable at ${this.#url} (${reason}); retrying every ${
            this.#retryMs / 1000
          } s`,
        );
      }
      this.#apply({ type: "kms", kms: "unreachable" });
      await delay(this.#retryMs, { signal: closed }).catch(() => {});
    }
  }

  /** Asks `/healthz` whether the KMS runs `--open` (once per subscription). */
  async #askAuth(): Promise<void> {
    try {
      const response = await this.#fetch(`${this.#url}/healthz`, {
        signal: AbortSignal.any([
          AbortSignal.timeout(POLL_TIMEOUT_MS),
          this.#closed.signal,
        ]),
      });
      const event = parseHealth(await response.json().catch(() => null));
      if (event.kmsAuth === "open" && this.#state.kmsAuth !== "open") {
        this.#log(
          "WARNING: the KMS runs --open: anyone on the network can fetch pair keys and force attacks",
        );
      }
      this.#apply(event);
    } catch {
      // The next subscription asks again.
    }
  }

  #schedulePoll(delayMs: number): void {
    if (this.#closed.signal.aborted) return;
    const due = Date.now() + delayMs;
    // A poll already due sooner stays: events can come faster than
    // POLL_AFTER_EVENT_MS (a burst of ETSI keys), and pushing the poll back
    // on each one would starve the counters.
    if (this.#pollTimer !== undefined && this.#pollDue <= due) return;
    clearTimeout(this.#pollTimer);
    this.#pollDue = due;
    this.#pollTimer = setTimeout(() => {
      this.#pollTimer = undefined;
      this.#poll();
    }, delayMs);
  }

  async #poll(): Promise<void> {
    if (this.#state.kms !== "live") return;
    if (this.#polling) {
      // One poll at a time, so an older answer never lands after a newer one.
      this.#pollAgain = true;
      return;
    }
    this.#polling = true;
    try {
      let response: Response;
      try {
        response = await this.#fetch(`${this.#url}/link_status`, {
          signal: AbortSignal.any([
            AbortSignal.timeout(POLL_TIMEOUT_MS),
            this.#closed.signal,
          ]),
        });
      } catch {
        // A KMS that keeps the stream open but stops answering: start over.
        this.#stream?.abort();
        return;
      }
      const body = await response.json().catch(() => null);
      const kmsNow = Date.parse(response.headers.get("date") ?? "");
      const event = response.ok
        ? parseLinkStatus(body, Number.isNaN(kmsNow) ? Date.now() : kmsNow)
        : null;
      if (event && this.#state.kms === "live") this.#apply(event);
    } finally {
      this.#polling = false;
      const again = this.#pollAgain;
      this.#pollAgain = false;
      this.#schedulePoll(again ? 0 : this.#pollMs);
    }
  }
}
