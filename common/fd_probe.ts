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
