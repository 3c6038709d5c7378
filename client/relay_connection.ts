/**
 * What the chat client sees of its relay connection: the link's state, the
 * frames and events it reports, and the calls it takes. `RelayLink`
 * (relay_link.ts) is the real connection; tests give fakes.
 *
 * @module
 */

import type {
  ChallengeFrame,
  PongFrame,
  RegisteredFrame,
  ServerFrame,
  ServerFrameRefusal,
} from "../protocol/mod.ts";

/** Where the link is. */
export type RelayState = "connecting" | "up" | "closed";

/** The frames a link hands over: the rest are its own business. */
export type LinkFrame = Exclude<
  ServerFrame,
  RegisteredFrame | PongFrame | ChallengeFrame
>;

/** What a relay connection reports to its user. */
export interface RelayEvents {
  /**
   * Registered (again): `online` lists the devices online; `ticketExpired`
   * after a reconnect for a fresh ticket, which the soldier need not hear of;
   * `movedTo` names the relay of a reconnect to another relay than before.
   */
  onUp: (
    info: {
      online: string[];
      reconnected: boolean;
      ticketExpired?: boolean;
      movedTo?: string;
    },
  ) => void;
  /**
   * The connection to relay `url` is gone; `wasUp` if it had been
   * registered; `ticketExpired` if the relay closed it for its ticket's
   * expiry.
   */
  onDown: (
    info: {
      wasUp: boolean;
      url?: string;
      reason: string;
      ticketExpired?: boolean;
      close?: { code: number; reason: string };
    },
  ) => void;
  /** A chat, ack, presence or error frame from the relay. */
  onFrame: (frame: LinkFrame) => void;
  /** A frame that is none of the relay's (a malformed chat packet, say). */
  onBadFrame?: (refusal: ServerFrameRefusal) => void;
}

/**
 * A connection to the relay as the chat client uses it; `RelayLink`
 * (relay_link.ts) is the real one, tests give a fake.
 */
export interface RelayConnection {
  /** Connects, and reports to `events` until closed. */
  start(events: RelayEvents): void;
  /** Sends a frame if registered; returns whether it went out. */
  send(frame: { type?: string; id?: string }): boolean;
  /** Closes the connection for good. */
  close(): Promise<void>;
  /** The relay it is on, or trying. */
  readonly url?: string;
}
