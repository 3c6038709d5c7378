/**
 * The main thread's side of the link's worker (`link_worker.ts`): starts
 * it, forwards the eavesdropper and post-processing switches, hands each
 * finished block to the KMS, and restarts the worker after an uncaught
 * error (1 s, then doubling up to 30 s; back to 1 s after a block arrives).
 * {@linkcode LinkSource} is what the KMS's link is fed by: this runner in
 * the service, a scripted source in the handler tests.
 *
 * @module
 */

import type { Eavesdropper } from "../quantum/block_detections.ts";
import type { LinkBlock } from "../quantum/qkd_link.ts";
import type { LinkConfig } from "./link_config.ts";
import type { FromLinkWorker, ToLinkWorker } from "./link_worker.ts";

/** A finished block and how it ran. */
export interface BlockArrival {
  /** The block's outcome, with its secret when it gave one. */
  block: LinkBlock;
  /** The eavesdropper it ran with. */
  eve: Eavesdropper;
  /**
   * Wall-clock seconds it took, waiting for link time included (more than
   * its link time when the CPU is slower than the simulated link).
   */
  wallSeconds: number;
}

/** Where a link source reports to. */
export interface LinkHandlers {
  /** A block finished; resolves once it is recorded. */
  onBlock(arrival: BlockArrival): Promise<void>;
  /**
   * The link stopped on an error (its message, never key material); it
   * restarts in `retryMs`.
   */
  onFailure(message: string, retryMs: number): void;
}

/** Something that runs the link's blocks. */
export interface LinkSource {
  /** Starts running blocks with these switches, reporting to `handlers`. */
  start(
    handlers: LinkHandlers,
    initial: { eve: Eavesdropper; postProcess: boolean },
  ): void;
  /** The eavesdropper of the blocks from the next one on. */
  setEve(eve: Eavesdropper): void;
  /** Whether the next blocks are reconciled and amplified. */
  setPostProcess(on: boolean): void;
  /** Stops for good. */
  stop(): void;
}

/** How {@linkcode LinkRunner} runs its worker. */
export interface LinkRunnerOptions {
  /** The worker module. Default `link_worker.ts`. */
  workerUrl?: URL;
  /** First restart delay after an error, ms. Default 1000. */
  restartMs?: number;
  /** Longest restart delay, ms. Default 30 000. */
  maxRestartMs?: number;
}

const MESSAGE_LIMIT = 200;

const WORKER_URL = new URL("./link_worker.ts", import.meta.url);

/**
 * The worker's files this process may not read, if any: a Worker's modules
 * are read at run time (the `kms` permission set grants `kms/link_worker.ts`
 * and `quantum/`; an `--allow-read` flag replaces that list).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { unreadableWorkerFiles } from "./link_runner.ts";
 *
 * assertEquals(unreadableWorkerFiles(), []); // the tests may read everything
 * ```
 */
export function unreadableWorkerFiles(): string[] {
  const files = [WORKER_URL, new URL("../quantum/", import.meta.url)];
  return files.map((url) => decodeURIComponent(url.pathname)).filter((path) =>
    Deno.permissions.querySync({ name: "read", path }).state !== "granted"
  );
}

/**
 * Runs the link in a Deno Worker.
 *
 * @example
 * ```ts ignore
 * const runner = new LinkRunner(config.link);
 * runner.start({ onBlock, onFailure }, { eve: { mode: "none" }, postProcess: true });
 * runner.stop();
 * ```
 */
export class LinkRunner implements LinkSource {
  #link: LinkConfig;
  #workerUrl: URL;
  #firstDelay: number;
  #maxDelay: number;
  #delay: number;
  #worker: Worker | undefined;
  #handlers: LinkHandlers | undefined;
  #eve: Eavesdropper = { mode: "none" };
  #postProcess = true;
  #stopped = false;
  #restartTimer: ReturnType<typeof setTimeout> | undefined;

  /** A runner of `link`, not started yet. */
  constructor(link: LinkConfig, options: LinkRunnerOptions = {}) {
    this.#link = link;
    this.#workerUrl = options.workerUrl ?? WORKER_URL;
    this.#firstDelay = options.restartMs ?? 1000;
    this.#maxDelay = options.maxRestartMs ?? 30_000;
    this.#delay = this.#firstDelay;
  }

  /** Starts the worker. */
  start(
    handlers: LinkHandlers,
    initial: { eve: Eavesdropper; postProcess: boolean },
  ): void {
    this.#handlers = handlers;
    this.#eve = initial.eve;
    this.#postProcess = initial.postProcess;
    this.#spawn();
  }

  /** Switches the eavesdropper between blocks. */
  setEve(eve: Eavesdropper): void {
    this.#eve = eve;
    this.#send({ type: "eve", eve });
  }

  /** Switches post-processing between blocks. */
  setPostProcess(on: boolean): void {
    if (on === this.#postProcess) return;
    this.#postProcess = on;
    this.#send({ type: "post_process", on });
  }

  /** Terminates the worker (SIGINT, SIGTERM, close). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#restartTimer);
    this.#worker?.terminate();
    this.#worker = undefined;
  }

  #send(message: ToLinkWorker): void {
    this.#worker?.postMessage(message);
  }

  #spawn(): void {
    if (this.#stopped) return;
    const worker = new Worker(this.#workerUrl, { type: "module" });
    this.#worker = worker;
    worker.onmessage = (event: MessageEvent<FromLinkWorker>) => {
      this.#delay = this.#firstDelay;
      const { block, eve, wallSeconds } = event.data;
      this.#handlers?.onBlock({ block, eve, wallSeconds });
    };
    worker.onerror = (event) => {
      // Handled here: unhandled, a worker's error ends the whole process.
      event.preventDefault();
      this.#fail(event.message);
    };
    worker.onmessageerror = () => this.#fail("a block could not be read");
    this.#send({
      type: "start",
      link: {
        settings: this.#link.settings,
        epsSec: this.#link.epsSec,
        epsCor: this.#link.epsCor,
      },
      eve: this.#eve,
      postProcess: this.#postProcess,
    });
  }

  #fail(message: string): void {
    this.#worker?.terminate();
    this.#worker = undefined;
    if (this.#stopped) return;
    const retryMs = this.#delay;
    this.#delay = Math.min(this.#delay * 2, this.#maxDelay);
    this.#handlers?.onFailure(
      String(message ?? "unknown error").slice(0, MESSAGE_LIMIT),
      retryMs,
    );
    this.#restartTimer = setTimeout(() => this.#spawn(), retryMs);
  }
}
