/**
 * Keys pinned on first use (as SSH's known_hosts and Signal's safety
 * numbers do): the KMS's ticket key and each peer's identity key, kept in
 * the device's state folder so a key that changes between runs is noticed.
 *
 * @module
 */

/** `pins.json` as stored: keys in base64url without padding. */
export interface PinsData {
  /** The KMS's ticket key. */
  ticket_key?: string;
  /** Each peer's identity key, by device id. */
  peers: Record<string, string>;
}

const BASE64URL = { alphabet: "base64url", omitPadding: true } as const;

/**
 * The pinned keys, saved through `save` on every change.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { KeyPins } from "./key_pins.ts";
 * const saved: unknown[] = [];
 * const pins = new KeyPins({ peers: {} }, async (data) => void saved.push(data));
 * await pins.pinPeer("Soldier_Bravo", new Uint8Array(32).fill(1));
 * assertEquals(pins.peer("Soldier_Bravo"), new Uint8Array(32).fill(1));
 * assertEquals(saved.length, 1);
 * ```
 */
export class KeyPins {
  readonly #data: PinsData;
  readonly #save: (data: PinsData) => Promise<void>;
  #saving: Promise<void> = Promise.resolve();

  /** Pins from `data`, written back with `save`. */
  constructor(data: PinsData, save: (data: PinsData) => Promise<void>) {
    this.#data = data;
    this.#save = save;
  }

  /** The pinned KMS ticket key. */
  get ticketKey(): Uint8Array | undefined {
    return decode(this.#data.ticket_key);
  }

  /** Pins the KMS's ticket key (replacing a changed one). */
  async pinTicketKey(key: Uint8Array): Promise<void> {
    this.#data.ticket_key = key.toBase64(BASE64URL);
    await this.#saved();
  }

  /** `peer`'s pinned identity key. */
  peer(peer: string): Uint8Array | undefined {
    return decode(
      Object.hasOwn(this.#data.peers, peer)
        ? this.#data.peers[peer]
        : undefined,
    );
  }

  /** Pins `peer`'s identity key (replacing a changed one). */
  async pinPeer(peer: string, key: Uint8Array): Promise<void> {
    this.#data.peers[peer] = key.toBase64(BASE64URL);
    await this.#saved();
  }

  // One save at a time, each of the data as it is when it starts: a peer's
  // handshake and its room hello pin at once, and two writes of one file
  // race (the second rename finds no file, or the older copy lands last).
  #saved(): Promise<void> {
    const save = this.#saving.then(() => this.#save(this.#data));
    this.#saving = save.catch(() => {});
    return save;
  }
}

/**
 * Reads `pins.json`'s text (`undefined`: no file yet), keeping only
 * well-formed entries.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { readPins } from "./key_pins.ts";
 * assertEquals(readPins(undefined), { peers: {} });
 * assertEquals(readPins('{"peers":{"B":"AQ"},"ticket_key":7}'), { peers: { B: "AQ" } });
 * ```
 */
export function readPins(text: string | undefined): PinsData {
  const pins: PinsData = { peers: {} };
  if (text === undefined) return pins;
  let stored: unknown;
  try {
    stored = JSON.parse(text);
  } catch {
    return pins;
  }
  const { ticket_key, peers } = (stored ?? {}) as Record<string, unknown>;
  if (typeof ticket_key === "string") pins.ticket_key = ticket_key;
  if (typeof peers === "object" && peers !== null) {
    for (const [peer, key] of Object.entries(peers)) {
      if (typeof key === "string") pins.peers[peer] = key;
    }
  }
  return pins;
}

function decode(text: string | undefined): Uint8Array | undefined {
  if (text === undefined) return undefined;
  try {
    return Uint8Array.fromBase64(text, BASE64URL);
  } catch {
    return undefined;
  }
}
