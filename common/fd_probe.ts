/**
 * How many more files this process may open, found by opening `/dev/null`
 * (needs `--allow-read=/dev/null`): Deno has no getrlimit, and reading
 * `/proc/self/limits` needs `--allow-all`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { fileDescriptorsExhausted, spareFileDescriptors } from "./fd_probe.ts";
 *
 * assertEquals(spareFileDescriptors(100), 100);
 * assertEquals(fileDescriptorsExhausted(), false);
 * ```
 *
 * @module
 */

const PROBE_PATH = "/dev/null";

/**
 * How many files could be opened right now, counted up to `upTo`;
 * `undefined` where `/dev/null` may not be opened at all.
 */
export function spareFileDescriptors(upTo: number): number | undefined {
  const files: Deno.FsFile[] = [];
  try {
    while (files.length < upTo) files.push(Deno.openSync(PROBE_PATH));
  } catch (error) {
    if (!isTooManyOpenFiles(error)) return undefined;
  } finally {
    for (const file of files) file.close();
  }
  return files.length;
}

/** True when the process is out of file descriptors (EMFILE) this moment. */
export function fileDescriptorsExhausted(): boolean {
  try {
    Deno.openSync(PROBE_PATH).close();
    return false;
  } catch (error) {
    return isTooManyOpenFiles(error);
  }
}

function isTooManyOpenFiles(error: unknown): boolean {
  return error instanceof Error && /os error 24\b|EMFILE/.test(error.message);
}

// How often the process checks that it is not out of file descriptors.
const FD_CHECK_MS = 250;

// node:http stops accepting for good, silently, once an accept fails with
// EMFILE (Deno 2.9.6). Out of descriptors, the kernel queues or refuses new
// connections; once some are free again the listening socket is made anew.
/**
 * Calls `relisten` once file descriptors are free again after a shortage
 * (or whenever the server is found not listening), logging the shortage at
 * most once per `options.intervalMs`; returns the function that stops it.
 */
export function watchFileDescriptors(
  relisten: () => void,
  options: {
    log: (line: string) => void;
    intervalMs: number;
    isListening: () => boolean;
  },
): () => void {
  let since: number | undefined;
  let episodes = 0;
  let lastLog = -Infinity;
  const seconds = (ms: number) => (ms / 1000).toFixed(1);
  const timer = setInterval(() => {
    const now = performance.now();
    if (fileDescriptorsExhausted()) {
      if (since === undefined) {
        since = now;
        episodes++;
      }
      if (now - lastLog >= options.intervalMs) {
        lastLog = now;
        const times = episodes > 1
          ? `, ${episodes} times since the last report`
          : "";
        const lasting = now - since >= 1000
          ? `, for ${seconds(now - since)} s now`
          : "";
        options.log(
          `out of file descriptors (EMFILE)${times}${lasting}: ` +
            "not accepting until some close",
        );
        episodes = 0;
      }
      return;
    }
    if (since !== undefined) {
      if (episodes === 0) {
        options.log(
          `file descriptors free again after ${
            seconds(now - since)
          } s: accepting`,
        );
      }
      since = undefined;
      relisten();
    } else if (!options.isListening()) {
      relisten();
    }
  }, FD_CHECK_MS);
  Deno.unrefTimer(timer);
  return () => clearInterval(timer);
}
