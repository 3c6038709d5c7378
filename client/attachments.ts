/**
 * Attachments in chunks: splitting a file so that every packet stays well
 * under the relay's frame limit, and reassembling the chunks a peer sent
 * within a memory bound.
 *
 * @module
 */

import { BoundedMap } from "./bounded.ts";
import type { FileChunk } from "./payload.ts";

/**
 * Bytes of file data per chunk. A chunk travels as base64 inside JSON
 * (×4/3) and the packet carries the ciphertext as hex (×2), so a 16 KiB
 * chunk makes a frame of about 44 KB, well under the relay's 64 KiB.
 */
export const CHUNK_BYTES = 16 * 1024;

/** Default largest attachment, sent or received: 8 MiB. */
export const DEFAULT_MAX_FILE_BYTES = 8 * 1024 * 1024;

/** Attachments reassembled at once; the oldest unfinished one is dropped. */
const MAX_TRANSFERS = 4;

/**
 * Splits `data` into chunks of at most `chunkBytes` (default
 * {@linkcode CHUNK_BYTES}). An empty file is one empty chunk.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { splitChunks } from "./attachments.ts";
 * const chunks = splitChunks(new Uint8Array(5), { chunkBytes: 2 });
 * assertEquals(chunks.map((chunk) => chunk.length), [ 2, 2, 1 ]);
 * ```
 */
export function splitChunks(
  data: Uint8Array,
  options: { chunkBytes?: number } = {},
): Uint8Array[] {
  const size = options.chunkBytes ?? CHUNK_BYTES;
  const chunks: Uint8Array[] = [];
  for (let offset = 0; offset < data.length; offset += size) {
    chunks.push(data.subarray(offset, offset + size));
  }
  return chunks.length > 0 ? chunks : [data.subarray(0, 0)];
}

/** Outcome of {@linkcode Reassembler.add}. */
export type ChunkOutcome =
  | {
    /** More chunks to come. */
    status: "partial";
  }
  | {
    /** The last missing chunk arrived. */
    status: "complete";
    /** The name the sender gave (unsanitised). */
    name: string;
    /** The whole file. */
    data: Uint8Array;
  }
  | {
    /** The chunk does not fit the transfer or the limits. */
    status: "rejected";
    /** Why, for the user. */
    reason: string;
  };

/** Options for {@linkcode Reassembler}. */
export interface ReassemblerOptions {
  /** Largest file accepted. Default {@linkcode DEFAULT_MAX_FILE_BYTES}. */
  maxFileBytes?: number;
  /** Largest chunk accepted. Default {@linkcode CHUNK_BYTES}. */
  chunkBytes?: number;
}

interface Transfer {
  name: string;
  parts: (Uint8Array | undefined)[];
  missing: number;
  bytes: number;
}

/**
 * Collects attachment chunks by sender and message id, at most
 * {@linkcode ReassemblerOptions.maxFileBytes} per file and a few files at
 * once. Repeated chunks (a re-sent attachment) are ignored.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { Reassembler } from "./attachments.ts";
 * const files = new Reassembler();
 * const outcome = files.add("Soldier_Alpha", {
 *   t: "file", mid: "m-1", name: "a.txt", chunk: 0, chunks: 1, data: btoa("hi"),
 * });
 * assertEquals(outcome.status, "complete");
 * ```
 */
export class Reassembler {
  readonly #maxFileBytes: number;
  readonly #chunkBytes: number;
  readonly #transfers = new BoundedMap<string, Transfer>({
    max: MAX_TRANSFERS,
  });

  /** Creates a reassembler with no transfers. */
  constructor(options: ReassemblerOptions = {}) {
    this.#maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    this.#chunkBytes = options.chunkBytes ?? CHUNK_BYTES;
  }

  /** Adds a chunk from `sender`. */
  add(sender: string, chunk: FileChunk): ChunkOutcome {
    const id = JSON.stringify([sender, chunk.mid]);
    const maxChunks = Math.max(
      1,
      Math.ceil(this.#maxFileBytes / this.#chunkBytes),
    );
    if (chunk.chunks > maxChunks) {
      this.#transfers.delete(id);
      return rejected(`larger than the ${this.#maxFileBytes}-byte limit`);
    }
    const data = decodeBase64(chunk.data);
    if (data === undefined || data.length > this.#chunkBytes) {
      this.#transfers.delete(id);
      return rejected("a chunk is not base64 or larger than allowed");
    }
    const transfer = this.#transfers.get(id) ?? {
      name: chunk.name,
      parts: new Array(chunk.chunks),
      missing: chunk.chunks,
      bytes: 0,
    };
    if (
      transfer.name !== chunk.name || transfer.parts.length !== chunk.chunks
    ) {
      this.#transfers.delete(id);
      return rejected("chunks disagree on the file's name or size");
    }
    if (transfer.parts[chunk.chunk] === undefined) {
      transfer.bytes += data.length;
      if (transfer.bytes > this.#maxFileBytes) {
        this.#transfers.delete(id);
        return rejected(`larger than the ${this.#maxFileBytes}-byte limit`);
      }
      transfer.parts[chunk.chunk] = data;
      transfer.missing--;
    }
    if (transfer.missing > 0) {
      this.#transfers.set(id, transfer);
      return { status: "partial" };
    }
    this.#transfers.delete(id);
    const whole = new Uint8Array(transfer.bytes);
    let offset = 0;
    for (const part of transfer.parts as Uint8Array[]) {
      whole.set(part, offset);
      offset += part.length;
    }
    return { status: "complete", name: transfer.name, data: whole };
  }
}

function decodeBase64(text: string): Uint8Array | undefined {
  try {
    return Uint8Array.fromBase64(text);
  } catch {
    return undefined;
  }
}

function rejected(reason: string): ChunkOutcome {
  return { status: "rejected", reason };
}
