/**
 * The client's key handling: the re-key loop (ask the KMS for the pair's
 * key until it gives one), fetching the keys packets arrived under by id,
 * and the order of both, as one unit that reports what happened as typed
 * {@linkcode KeyEvent}s.
 *
 * @module
 */

import type { LinkStatus } from "../protocol/mod.ts";
import { BoundedSet } from "./bounded.ts";
import type { KmsApi, KmsKey } from "./kms_client.ts";
import { KmsError } from "./kms_http.ts";
import { delay } from "../common/std.ts";

/** Time between attempts to get a key while the KMS gives none. */
export const REKEY_RETRY_MS = 2000;

/** What the key handling reports. */
export type KeyEvent =
  | {
    /** A fresh key for the current peer; handled before the loop ends. */
    kind: "key_ready";
    /** The key. */
    key: KmsKey;
  }
  | {
    /** The KMS gave no key; said once per re-key, then retried quietly. */
    kind: "no_key";
    /**
     * Why: the KMS's reason and link status, or the failure of the call
     * (with the KMS's HTTP status if it answered).
     */
    cause:
      | { refused: string; status?: LinkStatus }
      | { failed: string; httpStatus?: number };
    /** Time until the next attempt. */
    retryMs: number;
  }
  | {
    /** The KMS refused a key because the link is RED. */
    kind: "refused_red";
    /** The QBER it gave, if it gave one. */
    qber?: number;
  }
  | {
    /** The KMS does not know the key a packet arrived under. */
    kind: "unknown_key";
    /** The key id. */
    keyId: string;
    /** Who sent the packet. */
    peer: string;
  }
  | {
    /** Fetching a packet's key failed. */
    kind: "key_fetch_failed";
    /** The key id. */
    keyId: string;
    /** Why. */
    message: string;
  };

/** Where fetched keys go: the channel with the packet's sender. */
export interface KeyHolder {
  /** The peer whose pair key is fetched. */
  readonly peerId: string;
  /** Whether the key is held already. */
  hasKey(keyId: string): boolean;
  /** Keeps a fetched key. */
  storeKey(key: KmsKey): Promise<void>;
}

/** Options for {@linkcode SessionKeys}. */
export interface SessionKeysOptions {
  /** The KMS, for this device. */
  kms: Pick<KmsApi, "sessionKey">;
  /** The peer keys are for now (it may change during a re-key). */
  peer: () => string;
  /** Told of every event; a returned promise is awaited. */
  onEvent: (event: KeyEvent) => void | Promise<void>;
  /** Stops everything: requests are aborted, loops end. */
  signal: AbortSignal;
  /** Default {@linkcode REKEY_RETRY_MS}. */
  retryMs?: number;
}

/**
 * Gets the client's keys from the KMS, one request at a time.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { SessionKeys } from "./session_keys.ts";
 * const key = { keyId: "k-1", key: new Uint8Array(32), qber: 0.02, status: "GREEN" as const };
 * const seen: string[] = [];
 * const keys = new SessionKeys({
 *   kms: { sessionKey: () => Promise.resolve({ ok: true, key }) },
 *   peer: () => "Soldier_Bravo",
 *   onEvent: (event) => void seen.push(event.kind),
 *   signal: new AbortController().signal,
 * });
 * await keys.rekey();
 * assertEquals(seen, ["key_ready"]);
 * ```
 */
export class SessionKeys {
  readonly #options: SessionKeysOptions;
  // Key ids the KMS said it does not know: not asked for again, so packets
  // under made-up key ids cannot make the client flood the KMS.
  readonly #unknownKeys = new BoundedSet<string>({ max: 256 });
  #rekeying?: Promise<void>;
  #queue: Promise<unknown> = Promise.resolve();

  /** Creates the key handling; nothing is asked for until told. */
  constructor(options: SessionKeysOptions) {
    this.#options = options;
  }

  /** Whether a re-key is under way. */
  get rekeying(): boolean {
    return this.#rekeying !== undefined;
  }

  /**
   * Fetches a fresh key (waiting while the KMS gives none) and resolves once
   * its `key_ready` event was handled; joins a re-key already under way.
   */
  rekey(): Promise<void> {
    this.#rekeying ??= this.#rekeyLoop().finally(() => {
      this.#rekeying = undefined;
    });
    return this.#rekeying;
  }

  /** Fetches the key a packet arrived under into `holder`; false if none. */
  fetch(holder: KeyHolder, keyId: string): Promise<boolean> {
    return this.#oneAtATime(async () => {
      if (holder.hasKey(keyId)) return true;
      if (this.#unknownKeys.has(keyId)) return false;
      const { kms, signal } = this.#options;
      try {
        const answer = await kms.sessionKey(
          { peerId: holder.peerId, keyId },
          { signal },
        );
        if (answer.ok) {
          await holder.storeKey(answer.key);
          return true;
        }
        if (answer.reason === "unknown_key") {
          this.#unknownKeys.add(keyId);
          await this.#options.onEvent({
            kind: "unknown_key",
            keyId,
            peer: holder.peerId,
          });
        } else if (answer.status === "RED") {
          await this.#options.onEvent({
            kind: "refused_red",
            qber: answer.qber,
          });
        }
      } catch (error) {
        if (!signal.aborted) {
          await this.#options.onEvent({
            kind: "key_fetch_failed",
            keyId,
            message: (error as Error).message,
          });
        }
      }
      return false;
    });
  }

  /** Resolves when the work in flight has ended (after a stop, quickly). */
  async settled(): Promise<void> {
    await Promise.allSettled([this.#rekeying, this.#queue]);
  }

  async #rekeyLoop(): Promise<void> {
    const { kms, signal, onEvent } = this.#options;
    const retryMs = this.#options.retryMs ?? REKEY_RETRY_MS;
    let warned = false;
    while (!signal.aborted) {
      const peer = this.#options.peer();
      let event: KeyEvent;
      try {
        const answer = await this.#oneAtATime(() =>
          kms.sessionKey({ peerId: peer }, { signal })
        );
        if (signal.aborted) return;
        // `/peer` meanwhile: ask for the new pair.
        if (peer !== this.#options.peer()) continue;
        if (answer.ok) {
          await onEvent({ kind: "key_ready", key: answer.key });
          // `/peer` while that key was adopted: a re-key asked for then
          // joined this loop, so the new pair's key is fetched here.
          if (peer === this.#options.peer()) return;
          continue;
        }
        event = answer.status === "RED"
          ? { kind: "refused_red", qber: answer.qber }
          : {
            kind: "no_key",
            cause: { refused: answer.error, status: answer.status },
            retryMs,
          };
      } catch (error) {
        if (signal.aborted) return;
        if (peer !== this.#options.peer()) continue;
        const httpStatus = error instanceof KmsError ? error.status : undefined;
        event = {
          kind: "no_key",
          cause: {
            failed: (error as Error).message,
            ...(httpStatus === undefined ? {} : { httpStatus }),
          },
          retryMs,
        };
      }
      if (event.kind === "refused_red" || !warned) await onEvent(event);
      warned = true;
      await delay(retryMs, { signal }).catch(() => {});
    }
  }

  // One KMS request at a time: a fetch by key id and a fresh request must
  // not cross, or the fresh one could see the fetched key as held and
  // create yet another key.
  #oneAtATime<T>(request: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(request);
    this.#queue = result.catch(() => {});
    return result;
  }
}
