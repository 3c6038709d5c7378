/**
 * Line splitting for the lab programs that run inside namespaces without
 * deno.json (`--no-config`), where std's `TextLineStream` is out of reach
 * because the import map is.
 *
 * @module
 */

/**
 * Yields each line of `readable` without its `\n`, the last one even if
 * unterminated.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { readLines } from "./read_lines.ts";
 * const bytes = new TextEncoder().encode("RED\nGREEN\n");
 * const lines = await Array.fromAsync(readLines(ReadableStream.from([bytes])));
 * assertEquals(lines, ["RED", "GREEN"]);
 * ```
 */
export async function* readLines(
  readable: ReadableStream<Uint8Array<ArrayBuffer>>,
): AsyncGenerator<string> {
  let pending = "";
  for await (const chunk of readable.pipeThrough(new TextDecoderStream())) {
    pending += chunk;
    let newline;
    while ((newline = pending.indexOf("\n")) >= 0) {
      yield pending.slice(0, newline);
      pending = pending.slice(newline + 1);
    }
  }
  if (pending) yield pending;
}
