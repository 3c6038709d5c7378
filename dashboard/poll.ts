/// <reference lib="dom" />
/**
 * The islands' one way to ask this server a question again and again (the
 * block history, the relay's devices, the rooms): a hook that fetches a
 * same-origin URL now, every `intervalMs`, and whenever `url` or `refresh`
 * changes, and keeps the last good answer and the last error.
 *
 * @module
 */

import { useEffect, useRef, useState } from "preact/hooks";

/** What {@linkcode usePolled} holds. */
export interface Polled<T> {
  /** The last good answer, `null` until one came. */
  data: T | null;
  /** Why the last request failed, `null` after a good one. */
  error: string | null;
}

/** Options for {@linkcode usePolled}. */
export interface PollOptions<T> {
  /** Time between requests. */
  intervalMs: number;
  /** Reads an answer's JSON; `null` for one that is not what was asked. */
  parse: (json: unknown) => T | null;
  /** A value whose change asks again at once (a reset, a new incident). */
  refresh?: unknown;
  /**
   * The URL to ask each time, when it changes between requests (a window
   * ending now); default `key` itself.
   */
  url?: () => string;
}

async function ask<T>(url: string, parse: (json: unknown) => T | null) {
  const response = await fetch(url, {
    headers: { accept: "application/json" },
  });
  const json = await response.json().catch(() => null);
  if (!response.ok) {
    return {
      ok: false as const,
      error: typeof json?.message === "string"
        ? json.message
        : `the server answered ${response.status}`,
    };
  }
  const data = parse(json);
  return data === null
    ? { ok: false as const, error: "an answer of the wrong shape" }
    : { ok: true as const, data };
}

/**
 * Polls `key` (or `options.url()`; nothing while `key` is `null`); a new
 * `key` starts over. On the server, and until the first answer,
 * `{ data: null, error: null }`.
 *
 * @example
 * ```tsx
 * import { assertEquals } from "@std/assert";
 * import { renderToString } from "preact-render-to-string";
 * import { usePolled } from "./poll.ts";
 *
 * function Devices() {
 *   const { data } = usePolled("/api/devices", { intervalMs: 3000, parse: (json) => json });
 *   return <p>{data === null ? "waiting" : "got it"}</p>;
 * }
 * assertEquals(renderToString(<Devices />), "<p>waiting</p>");
 * ```
 */
export function usePolled<T>(
  key: string | null,
  options: PollOptions<T>,
): Polled<T> {
  const [polled, setPolled] = useState<Polled<T>>({ data: null, error: null });
  const parse = useRef(options.parse);
  parse.current = options.parse;
  const url = useRef(options.url);
  url.current = options.url;
  useEffect(() => {
    if (key === null) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      try {
        const answer = await ask(url.current?.() ?? key, parse.current);
        if (stopped) return;
        setPolled((current) =>
          answer.ok
            ? { data: answer.data, error: null }
            : { data: current.data, error: answer.error }
        );
      } catch {
        if (!stopped) {
          setPolled((current) => ({
            data: current.data,
            error: "the dashboard server is unreachable",
          }));
        }
      }
      if (!stopped) timer = setTimeout(run, options.intervalMs);
    };
    run();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [key, options.intervalMs, options.refresh]);
  return polled;
}
