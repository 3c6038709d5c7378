/**
 * The KMS over HTTP, as every call of the client makes it: a deadline,
 * JSON answers, the bearer token, and one error for a KMS that cannot be
 * reached or answers nonsense.
 *
 * @module
 */

/** Options of every KMS call. */
export interface KmsCallOptions {
  /** Cancels the request. */
  signal?: AbortSignal;
  /** Gives up after this long. Default {@linkcode KMS_TIMEOUT_MS}. */
  timeoutMs?: number;
}

/**
 * How long a KMS call may take. A KMS behind a network that stops
 * answering would otherwise hold the client's key requests for good.
 */
export const KMS_TIMEOUT_MS = 8000;

/** Thrown when the KMS cannot be reached or answers nonsense. */
export class KmsError extends Error {
  /** The KMS's HTTP status, when it answered with an error. */
  readonly status?: number;

  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions & { status?: number }) {
    super(message, options);
    this.name = "KmsError";
    this.status = options?.status;
  }
}

/**
 * Sends a request to the KMS and reads its JSON object answer.
 *
 * @throws {KmsError} when the KMS is unreachable, late, or answers with
 * anything but a JSON object.
 */
export async function call(
  url: URL,
  init: RequestInit,
  timeoutMs = KMS_TIMEOUT_MS,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const timeout = AbortSignal.timeout(timeoutMs);
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      ...init,
      signal: init.signal ? AbortSignal.any([init.signal, timeout]) : timeout,
    });
    text = await response.text();
  } catch (error) {
    if (init.signal?.aborted) throw error;
    if (timeout.aborted) {
      throw new KmsError(
        `KMS at ${url.origin} did not answer within ${timeoutMs / 1000} s`,
      );
    }
    throw new KmsError(`KMS unreachable at ${url.origin}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new KmsError(`KMS answered HTTP ${response.status} without JSON`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new KmsError(
      `KMS answered HTTP ${response.status} without an object`,
    );
  }
  return { status: response.status, json: json as Record<string, unknown> };
}

/** Request headers for a JSON body, with the device's token if it has one. */
export function headers(token: string | undefined): Record<string, string> {
  return {
    "content-type": "application/json",
    ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
  };
}

/** The KMS's `error` and `message`, for the soldier. */
export function describe(json: Record<string, unknown>): string {
  const parts = [json.error, json.message].filter((part) =>
    typeof part === "string"
  );
  return parts.length > 0 ? parts.join(": ") : "no reason given";
}
