/**
 * JSON over HTTP for the KMS: compact responses (so BusyBox `grep` finds
 * `"status":"RED"`), bounded request bodies, and the one error type HTTP
 * code throws, which renders itself.
 *
 * @module
 */

/** Largest request body the KMS reads. */
export const MAX_BODY_BYTES = 16 * 1024;

/**
 * A request the KMS refuses: its HTTP status, a short machine-readable code
 * and a message for the caller. It renders as `{error, message}`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { HttpError } from "./http.ts";
 *
 * const response = new HttpError(404, "not_found", { message: "no route /x" }).render();
 * assertEquals(response.status, 404);
 * assertEquals(await response.text(), '{"error":"not_found","message":"no route /x"}');
 * ```
 */
export class HttpError extends Error {
  /** HTTP status. */
  readonly status: number;
  /** Short machine-readable reason (the `error` field). */
  readonly code: string;
  /** Extra headers (e.g. Allow, WWW-Authenticate). */
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    code: string,
    options: { message: string; headers?: Record<string, string> },
  ) {
    super(options.message);
    this.name = "HttpError";
    this.status = status;
    this.code = code;
    this.headers = options.headers ?? {};
  }

  /** The response the caller gets. */
  render(): Response {
    return json({ error: this.code, message: this.message }, {
      status: this.status,
      headers: this.headers,
    });
  }
}

/**
 * A refusal of the ETSI GS QKD 014 API, rendered in the standard's shape:
 * `{message}`, or `{message, details}` when there are details.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { EtsiError } from "./http.ts";
 *
 * const error = new EtsiError(400, "key_ID must be a UUID", { details: [{ key_ID: "x" }] });
 * assertEquals(
 *   await error.render().text(),
 *   '{"message":"key_ID must be a UUID","details":[{"key_ID":"x"}]}',
 * );
 * ```
 */
export class EtsiError extends HttpError {
  /** The standard's `details` array, if any. */
  readonly details: unknown[] | undefined;

  constructor(
    status: number,
    message: string,
    options: { details?: unknown[]; headers?: Record<string, string> } = {},
  ) {
    super(status, "etsi", { message, headers: options.headers });
    this.name = "EtsiError";
    this.details = options.details;
  }

  /**
   * The same refusal in the ETSI shape, for errors raised by code the ETSI
   * routes share with the rest of the KMS (body reading, authentication).
   */
  static from(error: HttpError): EtsiError {
    if (error instanceof EtsiError) return error;
    return new EtsiError(error.status, error.message, {
      headers: error.headers,
    });
  }

  override render(): Response {
    const { message, details } = this;
    return json(details ? { message, details } : { message }, {
      status: this.status,
      headers: this.headers,
    });
  }
}

/**
 * A compact JSON response.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { json } from "./http.ts";
 *
 * assertEquals(await json({ status: "RED" }).text(), '{"status":"RED"}');
 * ```
 */
export function json(
  body: unknown,
  init: { status?: number; headers?: Record<string, string> } = {},
): Response {
  return new Response(JSON.stringify(body), {
    status: init.status ?? 200,
    headers: { "content-type": "application/json", ...init.headers },
  });
}

/**
 * Reads a JSON object body, at most {@linkcode MAX_BODY_BYTES}; anything else
 * is an HttpError (400 or 413). The content type is not checked: BusyBox
 * wget and curl send JSON as form data by default.
 *
 * @example
 * ```ts
 * import { assertEquals, assertRejects } from "@std/assert";
 * import { HttpError, readJsonObject } from "./http.ts";
 *
 * const post = (body: string) => new Request("http://kms/", { method: "POST", body });
 * assertEquals(await readJsonObject(post('{"device_id":"A"}')), { device_id: "A" });
 * await assertRejects(() => readJsonObject(post("[1,2]")), HttpError, "JSON object");
 * ```
 */
export async function readJsonObject(
  request: Request,
): Promise<Record<string, unknown>> {
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const bytes = await readLimited(request.body);
  let value: unknown;
  try {
    value = bytes.length === 0
      ? {}
      : JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new HttpError(400, "bad_json", {
      message: "request body is not valid JSON",
    });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new HttpError(400, "bad_json", {
      message: "request body must be a JSON object",
    });
  }
  return value as Record<string, unknown>;
}

async function readLimited(
  body: ReadableStream<Uint8Array> | null,
): Promise<Uint8Array> {
  if (!body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (total > MAX_BODY_BYTES) throw tooLarge();
    chunks.push(chunk);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

function tooLarge(): HttpError {
  return new HttpError(413, "body_too_large", {
    message: `request body is larger than ${MAX_BODY_BYTES} bytes`,
  });
}
