/**
 * One socket as the hub sees it: the abstract {@linkcode Peer}, the close
 * codes the relay sends, and the per-connection state (device, resume token,
 * rate limit, refusals, signature checks, the devices it watches and the
 * presence it was last sent).
 *
 * @module
 */

import { TokenBucket } from "./rate_limit.ts";

/** What the hub needs of a socket; a server-side `WebSocket` is one. */
export interface Peer {
  /** `1` while open, as `WebSocket.OPEN`. */
  readonly readyState: number;
  /** Bytes sent but not yet handed to the network. */
  readonly bufferedAmount: number;
  /** Sends a text frame. */
  send(text: string): void;
  close(code?: number, reason?: string): void;
}

/** WebSocket close codes the relay sends. */
export const CloseCode = {
  /** Shutdown. */
  goingAway: 1001,
  /** Repeated binary frames. */
  unsupportedData: 1003,
  /** Repeated refused frames or rate-limit excess. */
  policyViolation: 1008,
  /** Repeated oversize frames. */
  messageTooBig: 1009,
  /** An unexpected error while handling a frame. */
  internalError: 1011,
  /** Another connection took over the device with its resume token. */
  replaced: 4001,
  /**
   * The ticket the connection registered with expired: renew it and
   * register again (with the resume token).
   */
  ticketExpired: 4002,
  /** The client stopped reading: its send buffer stayed full. */
  stalled: 4003,
} as const;

/** Options for {@linkcode Connection}. */
export interface ConnectionOptions {
  /** Sequence number, for the log. */
  number: number;
  /** Where the socket comes from, for the log until it registers. */
  label: string;
  /** Frames per second the connection may send. */
  rateLimit: number;
  /** Current time in milliseconds. */
  now: number;
  /** This connection's challenge nonce (protocol's `newChallenge`). */
  nonce: string;
}

const OPEN = 1;
// Refused frames a connection may send at once, and then per second, before
// the relay closes it: enough for a buggy client to see its errors.
const STRIKES = 20;
const STRIKES_PER_SECOND = 1;
// Room memberships a connection may have verified at once, and then per
// second: a member rejoining its rooms after a reconnect needs at most one
// per room, and an Ed25519 verification costs the relay about 0.2 ms.
const SIGNATURE_CHECKS = 32;
const SIGNATURE_CHECKS_PER_SECOND = 4;

/**
 * The hub's record of one open socket.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { Connection } from "./connection.ts";
 *
 * const peer = { readyState: 1, bufferedAmount: 0, send() {}, close() {} };
 * const conn = new Connection(peer, {
 *   number: 7,
 *   label: "127.0.0.1:50000",
 *   rateLimit: 10,
 *   now: 0,
 *   nonce: "n",
 * });
 * assertEquals(conn.name, "#7 (127.0.0.1:50000)");
 * conn.deviceId = "Soldier_Alpha";
 * assertEquals(conn.name, "Soldier_Alpha (#7)");
 * assertEquals(conn.canSend(1024), true);
 * ```
 */
export class Connection {
  /** Sequence number, for the log. */
  readonly number: number;
  /** Where the socket comes from. */
  readonly label: string;
  readonly peer: Peer;
  /** Frames the connection may still send now. */
  readonly rate: TokenBucket;
  /** Refused frames it may still send before it is closed. */
  readonly strikes: TokenBucket;
  /** Room memberships it may still have verified now. */
  readonly signatureChecks: TokenBucket;
  /** When the socket opened, in milliseconds. */
  readonly openedAt: number;
  /** The challenge a ticketed registration must sign. */
  readonly nonce: string;
  /** The device it registered as. */
  deviceId?: string;
  /**
   * Unix time in seconds when the ticket it registered with expires
   * (`expires_at`); unset for an unticketed registration.
   */
  ticketExpiresAt?: number;
  /** The token that lets another connection take over the device. */
  resume?: string;
  /** The last online list this device was sent, as its presence frame. */
  presence?: string;
  /**
   * The devices it said it watches (a `watch` frame, or the register
   * frame's `watch`); unset, it hears of every device, as seed-era clients.
   */
  watch?: ReadonlySet<string>;
  /** When its send buffer filled up, while it stays full. */
  stalledSince?: number;
  /**
   * Messages that arrived while its ticket was being checked, handled in
   * order once the check is done.
   */
  held?: unknown[];
  /** The UTF-16 length of the text messages in `held`. */
  heldBytes = 0;
  /** Set once the hub has forgotten it. */
  closed = false;

  /** Starts the record of a socket that just opened. */
  constructor(peer: Peer, options: ConnectionOptions) {
    this.peer = peer;
    this.number = options.number;
    this.label = options.label;
    this.openedAt = options.now;
    this.nonce = options.nonce;
    this.rate = new TokenBucket({
      capacity: options.rateLimit,
      refillPerSecond: options.rateLimit,
      now: options.now,
    });
    this.strikes = new TokenBucket({
      capacity: STRIKES,
      refillPerSecond: STRIKES_PER_SECOND,
      now: options.now,
    });
    this.signatureChecks = new TokenBucket({
      capacity: SIGNATURE_CHECKS,
      refillPerSecond: SIGNATURE_CHECKS_PER_SECOND,
      now: options.now,
    });
  }

  /** How the log names it: by device once registered, else by origin. */
  get name(): string {
    return this.deviceId === undefined
      ? `#${this.number} (${this.label})`
      : `${this.deviceId} (#${this.number})`;
  }

  /** Whether the socket is open. */
  get open(): boolean {
    return this.peer.readyState === OPEN;
  }

  /** Whether the socket is open and its send buffer below the bound. */
  canSend(maxBufferedBytes: number): boolean {
    return this.open && this.peer.bufferedAmount < maxBufferedBytes;
  }
}
