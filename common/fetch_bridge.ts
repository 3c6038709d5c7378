/**
 * The bridge between `node:http` and fetch-style handlers: a Node request
 * becomes a `Request` whose body is read on demand and whose `signal`
 * aborts when the client goes away, and a `Response` is written back with
 * backpressure, its body cancelled when the client goes away (so an SSE
 * producer learns it and stops).
 *
 * @example
 * ```ts ignore
 * import http from "node:http";
 * import { toRequest, writeResponse } from "./fetch_bridge.ts";
 *
 * http.createServer(async (req, res) => {
 *   const request = toRequest(req, res, "127.0.0.1:8000");
 *   await writeResponse(res, new Response(`you asked for ${new URL(request.url).pathname}`));
 * }).listen(8000);
 * ```
 *
 * @module
 */

import type { IncomingMessage, ServerResponse } from "node:http";

/** Request body bytes buffered ahead of the handler before reading pauses. */
const BODY_HIGH_WATER_BYTES = 64 * 1024;

const written = new WeakMap<Request, Promise<boolean>>();

/**
 * Whether the response to a {@linkcode toRequest} `Request` was written in
 * full: resolves when its connection's response ends, `true` once every
 * byte went to the socket, `false` when the client went away (or the body
 * failed) first. Undefined for a `Request` that came another way. For
 * handlers that must commit only what was delivered, e.g. a one-time key.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { responseWritten } from "./fetch_bridge.ts";
 *
 * assertEquals(responseWritten(new Request("http://kms/")), undefined);
 * ```
 */
export function responseWritten(
  request: Request,
): Promise<boolean> | undefined {
  return written.get(request);
}

/**
 * The `Request` for a Node request. Its URL is built from the Host header,
 * as Deno.serve builds it, or from `fallbackHost` without one; `https:`
 * on a TLS socket. Throws a
 * `TypeError` for a target or header that a `Request` cannot hold (the
 * caller answers 400).
 */
export function toRequest(
  req: IncomingMessage,
  res: ServerResponse,
  fallbackHost: string,
): Request {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    headers.append(raw[i], raw[i + 1]);
  }
  const target = req.url ?? "/";
  const scheme = (req.socket as { encrypted?: boolean }).encrypted
    ? "https"
    : "http";
  const url = target.startsWith("/")
    ? new URL(`${scheme}://${req.headers.host ?? fallbackHost}${target}`)
    : new URL(target);
  const aborted = new AbortController();
  const finished = Promise.withResolvers<boolean>();
  // "close" after the response finished is a normal end, not an abort.
  res.once("close", () => {
    if (!res.writableFinished) aborted.abort();
    finished.resolve(res.writableFinished);
  });
  const method = req.method ?? "GET";
  const hasBody = method !== "GET" && method !== "HEAD";
  const request = new Request(url, {
    method,
    headers,
    body: hasBody ? bodyStream(req) : null,
    signal: aborted.signal,
  });
  written.set(request, finished.promise);
  return request;
}

// Pull-driven, so a handler that reads slowly (or never) stops the socket
// from being read instead of buffering the body without end.
function bodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
  let onData = (_chunk: Uint8Array) => {};
  let cancelled = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      req.pause();
      onData = (chunk) => {
        controller.enqueue(new Uint8Array(chunk));
        if ((controller.desiredSize ?? 0) <= 0) req.pause();
      };
      req.on("data", onData);
      req.once("end", () => cancelled || controller.close());
      req.once("error", (error) => cancelled || controller.error(error));
    },
    pull() {
      req.resume();
    },
    cancel() {
      // The handler gave up on the body (too large, say) but may still
      // answer: the rest is read and dropped (for at most the request
      // timeout), as closing now would reset the answer on its way out.
      cancelled = true;
      req.off("data", onData);
      req.resume();
    },
  }, { highWaterMark: BODY_HIGH_WATER_BYTES, size: (chunk) => chunk.length });
}

/**
 * Writes `response` to `res`: status, headers (each `set-cookie` on its own
 * line) and the body chunk by chunk, waiting for the socket to drain.
 * Resolves when the body is written or
 * abandoned; never rejects.
 */
export async function writeResponse(
  res: ServerResponse,
  response: Response,
): Promise<void> {
  res.statusCode = response.status;
  if (response.statusText) res.statusMessage = response.statusText;
  for (const [name, value] of response.headers) {
    if (name !== "set-cookie") res.setHeader(name, value);
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader("set-cookie", cookies);
  if (!response.body) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  const gone = () => void reader.cancel().catch(() => {});
  res.once("close", gone);
  try {
    // A first chunk that is ready goes out with the headers in one write
    // (an SSE stream's opening state, say); without one the headers go
    // alone, so a quiet stream is still seen as open.
    let first: Promise<ReadableStreamReadResult<Uint8Array>> | undefined =
      reader.read();
    const ready = await Promise.race([
      first.then(() => true, () => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), 0)),
    ]);
    if (!ready) res.flushHeaders();
    while (!res.destroyed) {
      const { done, value } = await (first ?? reader.read());
      first = undefined;
      if (done) {
        res.end();
        break;
      }
      if (!res.write(value)) await drained(res);
    }
  } catch {
    // The body failed midway: the client must not take it for complete.
    res.destroy();
  } finally {
    res.off("close", gone);
    if (res.destroyed) gone();
  }
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}
