/**
 * Test helpers for the hub's unit tests: a fake socket, a hub on a fake
 * clock, and chat frames.
 *
 * @module
 */

import { assertEquals } from "@std/assert";
import { DEFAULT_LIMITS, type RelayLimits } from "./config.ts";
import { Connection } from "./connection.ts";
import { Hub, type HubOptions, type Peer } from "./hub.ts";

/** A socket that records what it is sent and fills up when told to. */
export class FakePeer implements Peer {
  readyState = 1;
  bufferedAmount = 0;
  /** While true, every frame sent stays in bufferedAmount. */
  stuck = false;
  sent: string[] = [];
  /** The nonce of the challenge frame the hub opened with, kept out of `sent`. */
  challenge?: string;
  closed?: { code?: number; reason?: string };

  send(text: string): void {
    if (this.readyState !== 1) throw new Error("send on a closed socket");
    if (
      this.challenge === undefined && text.startsWith('{"type":"challenge"')
    ) {
      this.challenge = JSON.parse(text).nonce;
      return;
    }
    this.sent.push(text);
    if (this.stuck) this.bufferedAmount += text.length;
  }

  close(code?: number, reason?: string): void {
    this.closed = { code, reason };
    this.readyState = 2;
  }

  /** Parsed frames sent since the last call. */
  take(): Record<string, unknown>[] {
    return this.sent.splice(0).map((text) => JSON.parse(text));
  }

  /** Drains the buffer, as a client that reads again. */
  unstick(): void {
    this.stuck = false;
    this.bufferedAmount = 0;
  }
}

/**
 * A hub with a fake clock and a log, and a way to connect fake peers;
 * `options` may give it the KMS's key (`kmsKey`, `open`, `unixNow`).
 */
export function setupHub(
  limits: Partial<RelayLimits> = {},
  options: Pick<HubOptions, "kmsKey" | "open" | "unixNow"> = {},
) {
  let now = 0;
  const lines: string[] = [];
  const hub = new Hub({
    limits: { ...DEFAULT_LIMITS, ...limits },
    log: (line) => lines.push(line),
    now: () => now,
    ...options,
  });
  const connect = (deviceId?: string) => {
    const peer = new FakePeer();
    hub.connect(peer, "127.0.0.1:1");
    if (deviceId) {
      hub.receive(
        peer,
        JSON.stringify({ type: "register", device_id: deviceId }),
      );
      const [registered] = peer.take();
      assertEquals(registered.type, "registered", JSON.stringify(registered));
    }
    return peer;
  };
  return {
    hub,
    lines,
    connect,
    advance: (ms: number) => {
      now += ms;
      hub.tick();
    },
  };
}

/** A chat frame's text; its ciphertext, 5ec7e7, must never reach a log. */
export function chat(
  sender: string,
  recipient: string,
  id?: string,
  extra: Record<string, unknown> = {},
): string {
  return JSON.stringify({
    type: "chat",
    sender,
    recipient,
    nonce: "11".repeat(12),
    ciphertext: "5ec7e7",
    id,
    ...extra,
  });
}

/** A connection over a fake socket, numbered `number`, not registered. */
export function fakeConnection(number = 1): {
  peer: FakePeer;
  conn: Connection;
} {
  const peer = new FakePeer();
  const conn = new Connection(peer, {
    number,
    label: `127.0.0.1:${number}`,
    rateLimit: 1000,
    now: 0,
    nonce: "n",
  });
  return { peer, conn };
}
