/**
 * The typed face of the parts of std we use. JSR is out of reach here, so std
 * comes from the npm build `deno-std`, which ships JavaScript without types:
 * every cast that gives it a type lives in this file, and the rest of the
 * tree imports std's production helpers from here.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseArgs } from "./std.ts";
 *
 * const flags = parseArgs(["--port", "9000", "--open"], {
 *   string: ["port"],
 *   boolean: ["open"],
 * });
 * assertEquals([flags.port, flags.open], ["9000", true]);
 * ```
 *
 * @module
 */

import { parseArgs as untypedParseArgs } from "@std/cli/parse-args";
import { delay as untypedDelay } from "@std/async/delay";
import { TextLineStream as UntypedTextLineStream } from "@std/streams/text-line-stream";
import { relative as untypedRelative } from "@std/path/relative";
import { resolve as untypedResolve } from "@std/path/resolve";
import { ServerSentEventStream as UntypedSseStream } from "@std/http/server-sent-event-stream";
import { ServerSentEventParseStream as UntypedSseParseStream } from "@std/http/server-sent-event-parse-stream";
import {
  eTag as untypedETag,
  ifNoneMatch as untypedIfNoneMatch,
} from "@std/http/etag";
import { contentType as untypedContentType } from "@std/media-types/content-type";
import { stringify as untypedStringifyCsv } from "@std/csv/stringify";

/** How {@linkcode parseArgs} reads a command line. */
export interface ParseArgsOptions<S extends string, B extends string> {
  /** Flags that take a value. */
  string?: readonly S[];
  /** Flags that are on or off (off when absent). */
  boolean?: readonly B[];
  /** Called with each flag not named above; throw to refuse it. */
  unknown?: (arg: string) => unknown;
}

/** A parsed command line: string flags, boolean flags and the rest in `_`. */
export type ParsedFlags<S extends string, B extends string> =
  & { [K in S]?: string }
  & { [K in B]: boolean }
  & { _: string[] };

/**
 * Parses a command line (std's `parseArgs`), typed by the flags it names.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseArgs } from "./std.ts";
 *
 * const flags = parseArgs(["enroll", "--data", "d"], { string: ["data"] });
 * assertEquals([flags.data, flags._], ["d", ["enroll"]]);
 * ```
 */
export function parseArgs<S extends string = never, B extends string = never>(
  args: readonly string[],
  options: ParseArgsOptions<S, B>,
): ParsedFlags<S, B> {
  const flags = untypedParseArgs([...args], {
    ...options,
    string: [...(options.string ?? [])],
    boolean: [...(options.boolean ?? [])],
  }) as Record<string, unknown> & { _: unknown[] };
  // A repeated string flag comes back as an array: the last one counts, as
  // for every other command-line tool.
  for (const name of options.string ?? []) {
    const value = flags[name];
    if (Array.isArray(value)) flags[name] = String(value.at(-1));
    else if (value !== undefined) flags[name] = String(value);
  }
  flags._ = flags._.map(String);
  return flags as ParsedFlags<S, B>;
}

/**
 * Resolves after `ms` milliseconds, or rejects when `options.signal` aborts.
 *
 * @example
 * ```ts
 * import { delay } from "./std.ts";
 * await delay(1);
 * ```
 */
export const delay = untypedDelay as (
  ms: number,
  options?: { signal?: AbortSignal; persistent?: boolean },
) => Promise<void>;

/**
 * Splits a text stream into lines (without their line breaks).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { TextLineStream } from "./std.ts";
 *
 * const lines = await Array.fromAsync(
 *   ReadableStream.from(["a\nb", "\nc"]).pipeThrough(new TextLineStream()),
 * );
 * assertEquals(lines, ["a", "b", "c"]);
 * ```
 */
export const TextLineStream = UntypedTextLineStream as new (
  options?: { allowCR?: boolean },
) => TransformStream<string, string>;

/**
 * The path from `from` to `to`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { relative } from "./std.ts";
 * assertEquals(relative("/a/b", "/a/b/c/d"), "c/d");
 * ```
 */
export const relative = untypedRelative as (from: string, to: string) => string;

/**
 * Resolves path segments to an absolute path, from the working directory.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { resolve } from "./std.ts";
 * assertEquals(resolve("/a", "b", "../c"), "/a/c");
 * ```
 */
export const resolve = untypedResolve as (...segments: string[]) => string;

/** One Server-Sent Event, as std's SSE streams read and write it. */
export interface ServerSentEventMessage {
  /** The event's name (`message` when absent). */
  event?: string;
  /** The payload. */
  data?: string;
  /** The event's id. */
  id?: string | number;
  /** A comment line, such as a keepalive. */
  comment?: string;
  /** How long a client waits before reconnecting, in milliseconds. */
  retry?: number;
}

/**
 * Writes Server-Sent Events as bytes.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { ServerSentEventStream } from "./std.ts";
 *
 * const body = ReadableStream.from([{ event: "link", data: "{}" }])
 *   .pipeThrough(new ServerSentEventStream());
 * assertEquals(await new Response(body).text(), "event:link\ndata:{}\n\n");
 * ```
 */
export const ServerSentEventStream = UntypedSseStream as new () =>
TransformStream<ServerSentEventMessage, Uint8Array>;

/**
 * Reads Server-Sent Events from bytes.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { ServerSentEventParseStream } from "./std.ts";
 *
 * const events = await Array.fromAsync(
 *   new Response("event: link\ndata: {}\n\n").body!
 *     .pipeThrough(new ServerSentEventParseStream()),
 * );
 * assertEquals(events, [{ event: "link", data: "{}" }]);
 * ```
 */
export const ServerSentEventParseStream = UntypedSseParseStream as new (
  options?: { ignoreComments?: boolean },
) => TransformStream<Uint8Array, ServerSentEventMessage>;

/**
 * The `Content-Type` for a file extension (with or without its dot) or a
 * media type, with the charset for text; `undefined` when unknown.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { contentType } from "./std.ts";
 *
 * assertEquals(contentType("css"), "text/css; charset=UTF-8");
 * assertEquals(contentType(".svg"), "image/svg+xml");
 * assertEquals(contentType("nonsense"), undefined);
 * ```
 */
export const contentType = untypedContentType as (
  extensionOrType: string,
) => string | undefined;

/** What {@linkcode eTag} needs of a file: `Deno.FileInfo` has it. */
export interface ETagFileInfo {
  /** Last modification, if the file system keeps it. */
  mtime: Date | null;
  /** Size in bytes. */
  size: number;
}

/**
 * An `ETag` for content (strong) or for a file by its size and modification
 * time (weak, `undefined` without an mtime).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { eTag } from "./std.ts";
 *
 * assertEquals(await eTag("x"), '"1-LXEWQrcmsEQBYnyp+6wy9chTD7G"');
 * const file = { size: 10, mtime: new Date(0) };
 * assertEquals((await eTag(file))?.startsWith('W/"a-'), true);
 * assertEquals(await eTag({ size: 10, mtime: null }), undefined);
 * ```
 */
export const eTag = untypedETag as {
  (entity: string | Uint8Array, options?: { weak?: boolean }): Promise<string>;
  (
    entity: ETagFileInfo,
    options?: { weak?: boolean },
  ): Promise<string | undefined>;
};

/**
 * Whether a request's `If-None-Match` header misses `etag`, so the entity
 * must be sent; `false` means the client's copy is current (answer 304).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { ifNoneMatch } from "./std.ts";
 *
 * assertEquals(ifNoneMatch('W/"a-1"', 'W/"a-1"'), false);
 * assertEquals(ifNoneMatch('"b-2"', 'W/"a-1"'), true);
 * assertEquals(ifNoneMatch(null, 'W/"a-1"'), true);
 * ```
 */
export const ifNoneMatch = untypedIfNoneMatch as (
  value: string | null,
  etag: string | undefined,
) => boolean;

/**
 * Rows as CSV (RFC 4180: CRLF line ends, fields with a comma, quote or line
 * break quoted), a header line of `options.columns` first.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { stringifyCsv } from "./std.ts";
 *
 * const csv = stringifyCsv([{ tag: "RESET", message: 'a, "b"' }], { columns: ["tag", "message"] });
 * assertEquals(csv, 'tag,message\r\nRESET,"a, ""b"""\r\n');
 * ```
 */
export const stringifyCsv = untypedStringifyCsv as (
  rows: readonly Record<string, unknown>[],
  options: { columns: readonly string[] },
) => string;
