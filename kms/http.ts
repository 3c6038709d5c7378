/**
 * JSON over HTTP for the KMS: compact responses (so BusyBox `grep` finds
 * `"status":"RED"`), bounded request bodies and clear errors.
 *
 * @module
 */

/** Largest request body the KMS reads. */
export const MAX_BODY_BYTES = 16 * 1024;

/**
 * A request the KMS refuses, with its HTTP status and a message for the
 * caller. `body` overrides the default `{error, message}` shape (the ETSI
 * API has its own).
 */
export class HttpError extends Error {
  /** HTTP status. */
  readonly status: number;
  /** Short machine-readable reason. */
  readonly code: string;
  /** Extra headers (e.g. Allow, WWW-Authenticate). */
  readonly headers: Record<string, string>;

  /** Creates the error. */
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
}

/**
 * A compact JSON response.
 *
 * @example
 * ```ts
 * import { json } from "./http.ts";
 * console.log(await json({ status: "RED" }).text()); // {"status":"RED"}
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
