/**
 * Who holds which device in the whole cluster: the KV bucket
 * `qstcs_devices`, one key per device, written only with revision checks.
 * A node claims a free id with `create`; it takes a held one over with
 * `update` at the revision it read, only for a registration with the
 * holder's resume token (compared as SHA-256, the only form the bucket
 * keeps) or a proven ticket, or when the holder no longer answers; it
 * releases its claim with a delete at its own revision, which does nothing
 * once another node took the id over. Every node watches the bucket: that
 * is its list of the devices other nodes hold, for presence, and how a node
 * learns that its device moved away.
 *
 * A node that dies keeps its claims in the bucket until a registration
 * takes one over or a living node, finding that the dead one answers no
 * ping, deletes them.
 *
 * @module
 */

import { sha256 } from "@noble/hashes/sha2";
import type { KvWatchEntry } from "@nats-io/kv";
import type { NatsLink } from "./nats_link.ts";
import { NATS_TIMEOUT_MS } from "./nats_link.ts";
import { controlSubject, nodeSubject, subjectToken } from "./subject_token.ts";

/** A claim as the bucket holds it: never the resume token itself. */
export interface Claim {
  /** The device id (keys hold it escaped). */
  device: string;
  /** The node holding its socket. */
  node: string;
  /** base64url SHA-256 of its current resume token. */
  resume_sha256: string;
}

/** Someone's claim of a device, at the revision it was written. */
export interface HeldClaim {
  claim: Claim;
  revision: number;
}

/** What the directory tells its node. */
export interface DirectoryEvents {
  /** Another node now holds `device` (claimed at `revision`). */
  held(device: string, revision: number): void;
  /** No node holds `device` any more. */
  released(device: string): void;
}

/**
 * The hash the bucket keeps of a resume token.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { resumeHash } from "./cluster_directory.ts";
 *
 * assertEquals(resumeHash("t").length, 43);
 * assertEquals(resumeHash("t"), resumeHash("t"));
 * ```
 */
export function resumeHash(token: string): string {
  return sha256(new TextEncoder().encode(token)).toBase64({
    alphabet: "base64url",
    omitPadding: true,
  });
}

/** Whether a JetStream error is a failed revision check. */
function isConflict(error: unknown): boolean {
  return String((error as Error)?.message).includes("wrong last sequence");
}

// Whether a request failed because nobody subscribes to its subject: only
// that proves a holder gone. A timeout may be a slow node, and treating it
// as gone could let a second connection claim a device that is online.
function noResponders(error: unknown): boolean {
  return String((error as Error)?.message).includes("no responders");
}

/** The cluster's claims, as one node reads and writes them. */
export class ClusterDirectory {
  #link: NatsLink;
  #node: string;
  #events: DirectoryEvents;
  // Claims of other nodes, by device, and device ids by key (deletes
  // carry only the key).
  #remote = new Map<string, HeldClaim>();
  #byKey = new Map<string, string>();
  #janitor: ReturnType<typeof setInterval>;
  // The newest revision the watch has shown, and who waits for a later one.
  #shown = 0;
  #waiting = new Set<{ revision: number; done: () => void }>();

  /** Starts watching the bucket and clearing dead nodes' claims. */
  constructor(
    link: NatsLink,
    options: { node: string; events: DirectoryEvents },
  ) {
    this.#link = link;
    this.#node = options.node;
    this.#events = options.events;
    link.nc.subscribe(nodeSubject(options.node), {
      callback: (_error, message) => {
        message.respond("");
      },
    });
    this.#watch();
    this.#janitor = setInterval(() => this.#clearDead(), 2000);
    Deno.unrefTimer(this.#janitor);
  }

  /** The devices other nodes hold. */
  remote(): Iterable<string> {
    return this.#remote.keys();
  }

  /**
   * Resolves once the watch has shown the bucket up to `revision`, so every
   * claim written before it is known here, or after `timeoutMs` (a watch cut
   * off by a NATS outage must not hold a registration).
   */
  caughtUp(revision: number, timeoutMs: number): Promise<void> {
    if (this.#shown >= revision) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = {
        revision,
        done: () => {
          clearTimeout(timer);
          this.#waiting.delete(waiter);
          resolve();
        },
      };
      const timer = setTimeout(waiter.done, timeoutMs);
      this.#waiting.add(waiter);
    });
  }

  /** Stops the janitor. */
  close(): void {
    clearInterval(this.#janitor);
  }

  /**
   * Writes `claim` if the id is free, or over the current claim if
   * `mayReplace` allows it; returns the revision written, `"held"` when
   * the holder keeps it, or throws when NATS does not answer.
   */
  async claim(
    claim: Claim,
    mayReplace: (current: Claim) => Promise<boolean>,
  ): Promise<number | "held"> {
    const { devices } = this.#link;
    const key = subjectToken(claim.device);
    const value = JSON.stringify(claim);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        return await devices.create(key, value);
      } catch (error) {
        if (!isConflict(error)) throw error;
      }
      const entry = await devices.get(key);
      if (!entry || entry.operation !== "PUT") continue;
      if (!await mayReplace(entry.json<Claim>())) return "held";
      try {
        return await devices.update(key, value, entry.revision);
      } catch (error) {
        if (!isConflict(error)) throw error;
      }
    }
    return "held";
  }

  /** Deletes `device`'s claim if it is still the one at `revision`. */
  async release(device: string, revision: number): Promise<void> {
    await this.#link.devices.delete(subjectToken(device), {
      previousSeq: revision,
    }).catch(() => {});
  }

  /**
   * Whether some node answers for `device`: no responders means the node
   * died or let it go; a request that times out counts as an answer.
   */
  async answers(device: string): Promise<boolean> {
    try {
      await this.#link.nc.request(controlSubject(device), "", {
        timeout: NATS_TIMEOUT_MS / 2,
      });
      return true;
    } catch (error) {
      return !noResponders(error);
    }
  }

  async #watch(): Promise<void> {
    const watch = await this.#link.devices.watch();
    for await (const entry of watch) {
      this.#seen(entry);
      this.#shown = Math.max(this.#shown, entry.revision);
      for (const waiter of this.#waiting) {
        if (waiter.revision <= this.#shown) waiter.done();
      }
    }
  }

  #seen(entry: KvWatchEntry): void {
    if (entry.operation !== "PUT") {
      const device = this.#byKey.get(entry.key);
      if (device === undefined) return;
      this.#byKey.delete(entry.key);
      this.#remote.delete(device);
      this.#events.released(device);
      return;
    }
    const claim = entry.json<Claim>();
    this.#byKey.set(entry.key, claim.device);
    if (claim.node !== this.#node) {
      this.#remote.set(claim.device, { claim, revision: entry.revision });
      this.#events.held(claim.device, entry.revision);
    } else if (!entry.isUpdate) {
      // Left over from an earlier run of this node: it holds nothing yet.
      this.release(claim.device, entry.revision);
    } else if (this.#remote.delete(claim.device)) {
      this.#events.released(claim.device);
    }
  }

  // Deletes the claims of nodes that answer no ping.
  async #clearDead(): Promise<void> {
    if (!this.#link.connected) return;
    const byNode = new Map<string, HeldClaim[]>();
    for (const held of this.#remote.values()) {
      const claims = byNode.get(held.claim.node) ?? [];
      claims.push(held);
      byNode.set(held.claim.node, claims);
    }
    for (const [node, claims] of byNode) {
      try {
        await this.#link.nc.request(nodeSubject(node), "", {
          timeout: NATS_TIMEOUT_MS / 2,
        });
      } catch (error) {
        if (!noResponders(error)) continue;
        for (const { claim, revision } of claims) {
          await this.release(claim.device, revision);
        }
      }
    }
  }
}
