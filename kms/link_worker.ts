/**
 * The link's worker (`new Worker` of `link_runner.ts`): runs
 * `runLinkBlock` block after block, off the KMS's request path, paced to
 * link time (a block of P pulses takes P / pulseRate seconds; when the CPU
 * is slower, blocks run back to back and the KMS's key rate shows it). Each
 * finished block goes to the main thread, its secret's buffer transferred
 * (the worker keeps no copy). Messages switch the eavesdropper and
 * post-processing between blocks. It imports only `quantum/` (its
 * permission set reads that folder and this file) and logs nothing.
 *
 * @module
 */

/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />

import type { Eavesdropper } from "../quantum/block_detections.ts";
import { type QkdLinkSettings, runLinkBlock } from "../quantum/qkd_link.ts";

/** What the worker runs: the link and its finite-key ε's. */
export interface WorkerLink {
  settings: QkdLinkSettings;
  epsSec: number;
  epsCor: number;
}

/** Messages to the worker. */
export type ToLinkWorker =
  | {
    type: "start";
    link: WorkerLink;
    eve: Eavesdropper;
    postProcess: boolean;
  }
  | { type: "eve"; eve: Eavesdropper }
  | { type: "post_process"; on: boolean };

/** A block the worker finished, as the main thread receives it. */
export interface FromLinkWorker {
  type: "block";
  block: ReturnType<typeof runLinkBlock>;
  /** The eavesdropper the block ran with. */
  eve: Eavesdropper;
  /** Wall-clock seconds from the block's start to its report. */
  wallSeconds: number;
}

let state:
  | { link: WorkerLink; eve: Eavesdropper; postProcess: boolean }
  | null = null;

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `bytes` alone in its buffer, so that the buffer can be transferred. */
function ownBuffer(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const { buffer } = bytes;
  if (
    buffer instanceof ArrayBuffer && bytes.byteOffset === 0 &&
    bytes.byteLength === buffer.byteLength
  ) {
    return bytes as Uint8Array<ArrayBuffer>;
  }
  const own = bytes.slice();
  bytes.fill(0);
  return own;
}

async function run(): Promise<void> {
  let clock = performance.now();
  while (state) {
    const started = performance.now();
    const { link, eve, postProcess } = state;
    const block = runLinkBlock(link.settings, {
      eve,
      postProcess,
      epsSec: link.epsSec,
      epsCor: link.epsCor,
    });
    clock += block.durationSeconds * 1000;
    const now = performance.now();
    // Behind the link (a slow CPU): no debt, the next block starts now.
    if (clock < now) clock = now;
    // Also lets the main thread's messages in between blocks.
    await pause(clock - now);
    const secret = block.ok ? ownBuffer(block.secret) : undefined;
    const message: FromLinkWorker = {
      type: "block",
      block: block.ok ? { ...block, secret: secret! } : block,
      eve,
      wallSeconds: (performance.now() - started) / 1000,
    };
    self.postMessage(message, secret ? [secret.buffer] : []);
  }
}

self.onmessage = (event: MessageEvent<ToLinkWorker>) => {
  const message = event.data;
  if (message.type === "start") {
    const first = state === null;
    state = {
      link: message.link,
      eve: message.eve,
      postProcess: message.postProcess,
    };
    // An error in a block is uncaught on purpose: the runner sees it.
    if (first) run();
  } else if (state && message.type === "eve") state.eve = message.eve;
  else if (state && message.type === "post_process") {
    state.postProcess = message.on;
  }
};
