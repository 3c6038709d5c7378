/**
 * Why the link hands out no key, as the key APIs tell their callers: the link
 * is RED, its worker is down, or the pool holds fewer bits than asked for.
 *
 * @module
 */

import {
  type LinkStatus,
  RED_THRESHOLD,
  rollingQber,
} from "../protocol/mod.ts";

/** Bits from the pool, or why not. */
export type LinkKey =
  | { ok: true; secret: Uint8Array; qber: number; status: LinkStatus }
  | LinkRefusal;

/** No key from the link. `message` is the sentence the caller is shown. */
export interface LinkRefusal {
  ok: false;
  /** RED, the pool holds too few bits, or the link's worker is down. */
  reason: "link_red" | "pool_empty" | "link_down";
  /** What the caller is told. */
  message: string;
  /** The link's latest QBER. */
  qber: number;
  /** The link status. */
  status: LinkStatus;
  /** Bits the pool held (for `pool_empty`). */
  poolBits?: number;
  /** The link's recent secret key rate, bits/s (for `pool_empty`). */
  keyRateBps?: number;
}

/** What the refusals are worded from. */
export interface LinkState {
  status: LinkStatus;
  /** Recent blocks' QBER, oldest first. */
  history: readonly number[];
  /** Whether the link's worker is down. */
  down: boolean;
}

/**
 * The refusal every key request gets now, whatever the pool holds (RED, or
 * the worker down), if any.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { linkRefusal } from "./link_refusal.ts";
 *
 * const red = linkRefusal({ status: "RED", history: [0.26], down: false });
 * assertEquals(red?.message, "QKD link compromised: the link is RED (rolling QBER 26.0%, threshold 11.0%). No keys until an operator resets the link.");
 * assertEquals(linkRefusal({ status: "GREEN", history: [0.02], down: false }), undefined);
 * ```
 */
export function linkRefusal(link: LinkState): LinkRefusal | undefined {
  const common = {
    ok: false,
    qber: link.history.at(-1) ?? 0,
    status: link.status,
  } as const;
  if (link.status === "RED") {
    return {
      ...common,
      reason: "link_red",
      message: `QKD link compromised: the link is RED (rolling QBER ${
        pct(rollingQber(link.history))
      }, threshold ${
        pct(RED_THRESHOLD)
      }). No keys until an operator resets the link.`,
    };
  }
  if (link.down) {
    return {
      ...common,
      reason: "link_down",
      message:
        "the QKD link is down (its worker failed and restarts): no keys until it runs again",
    };
  }
  return undefined;
}

/**
 * The refusal of a take the pool could not serve, naming its level and the
 * link's key rate.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { poolEmpty } from "./link_refusal.ts";
 *
 * const refusal = poolEmpty({ bits: 256, poolBits: 128, keyRateBps: 3.6e5 }, {
 *   status: "GREEN", history: [0.02], down: false,
 * });
 * assertEquals(refusal.message, "key pool empty: 128 bits pooled, 256 needed; the (simulated) link adds about 360000 bits/s");
 * ```
 */
export function poolEmpty(
  take: { bits: number; poolBits: number; keyRateBps: number },
  link: LinkState,
): LinkRefusal {
  const { bits, poolBits, keyRateBps } = take;
  return {
    ok: false,
    reason: "pool_empty",
    qber: link.history.at(-1) ?? 0,
    status: link.status,
    poolBits,
    keyRateBps,
    message: `key pool empty: ${poolBits} bits pooled, ${bits} needed; ` +
      `the (simulated) link adds about ${Math.round(keyRateBps)} bits/s`,
  };
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}
