/**
 * Frames published to another node with a reply subject of this node's
 * own, `qstcs.node.<node>.r.<ref>`, one wildcard subscription for all the
 * answers and one timer for those that never come: cheaper than a NATS
 * request per frame (a timer and a subscription each), and NATS's "no
 * responders" status still names the frame it belongs to.
 *
 * @module
 */

import { headers, type Msg, type NatsConnection } from "@nats-io/nats-core";
import { NATS_TIMEOUT_MS } from "./nats_link.ts";
import { replyPrefix } from "./subject_token.ts";

/**
 * What came back for a forwarded frame: the holder's answer, `NO_HOLDER`
 * when nobody subscribes to the subject, `NO_ANSWER` when nothing came in
 * time or NATS is down.
 */
export const NO_HOLDER = "o";
/** See {@linkcode NO_HOLDER}. */
export const NO_ANSWER = "t";

/** Publishes frames and matches their answers. */
export class ReplyMux {
  #nc: NatsConnection;
  #prefix: string;
  #nextRef = 1;
  // Insertion order is age order, so the sweep stops at the first young one.
  #pending = new Map<
    number,
    { resolve: (reply: string) => void; at: number }
  >();

  /** Subscribes to the answers for node `node`. */
  constructor(nc: NatsConnection, node: string) {
    this.#nc = nc;
    this.#prefix = replyPrefix(node);
    nc.subscribe(`${this.#prefix}>`, {
      callback: (_error, message) => this.#answered(message),
    });
  }

  /**
   * Publishes `text` to `subject` (with the header `kind`, if given) and
   * resolves to its answer.
   */
  publish(
    subject: string,
    text: string,
    kind?: { name: string; value: string },
  ): Promise<string> {
    const ref = this.#nextRef++;
    const answer = new Promise<string>((resolve) => {
      this.#pending.set(ref, { resolve, at: performance.now() });
    });
    let h;
    if (kind) {
      h = headers();
      h.set(kind.name, kind.value);
    }
    this.#nc.publish(subject, text, {
      reply: `${this.#prefix}${ref}`,
      headers: h,
    });
    return answer;
  }

  /** Answers {@linkcode NO_ANSWER} for frames older than the timeout. */
  sweep(): void {
    const cutoff = performance.now() - NATS_TIMEOUT_MS;
    for (const [ref, pending] of this.#pending) {
      if (pending.at > cutoff) break;
      this.#pending.delete(ref);
      pending.resolve(NO_ANSWER);
    }
  }

  #answered(message: Msg): void {
    const ref = Number(message.subject.slice(this.#prefix.length));
    const pending = this.#pending.get(ref);
    if (!pending) return;
    this.#pending.delete(ref);
    const offline = message.data.length === 0 &&
      message.headers?.code === 503;
    pending.resolve(offline ? NO_HOLDER : message.string());
  }
}
