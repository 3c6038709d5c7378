/**
 * The KMS's public ticket key, which the relay verifies registration tickets
 * with: read from the file the KMS writes (`DATA/ticket_key.pub`, base64url
 * text) or fetched once from the KMS's `GET /ticket_key` at start. It is a
 * public key: the relay holds no secret of the KMS or of any device.
 *
 * @module
 */

import { errorMessage } from "../common/error_message.ts";
import {
  type PublicKeyRead,
  readPublicKey,
  type TicketKeyResponse,
} from "../protocol/mod.ts";
import type { TicketKeySource } from "./config.ts";

/** Outcome of loading the ticket key. */
export type TicketKeyResult = PublicKeyRead;

/** Options for {@linkcode loadTicketKey}. */
export interface LoadTicketKeyOptions {
  /** Receives a line while the KMS does not answer. */
  log: (line: string) => void;
  /** Milliseconds between attempts to reach the KMS. Default 1000. */
  retryMs?: number;
  /** Stops the retries. */
  signal?: AbortSignal;
}

/**
 * Loads the ticket key from its source. A KMS that cannot be reached or
 * answers 5xx is asked again every `retryMs`; any other answer that is not a
 * key, and a file that cannot be read, is an error for the operator.
 *
 * @example
 * ```ts ignore
 * const key = await loadTicketKey({ kmsUrl: "http://127.0.0.1:8000" }, { log: console.log });
 * ```
 */
export async function loadTicketKey(
  source: TicketKeySource,
  options: LoadTicketKeyOptions,
): Promise<TicketKeyResult> {
  if ("file" in source) {
    let text: string;
    try {
      text = await Deno.readTextFile(source.file);
    } catch (error) {
      return {
        ok: false,
        reason: `cannot read --ticket-key ${source.file}: ${
          errorMessage(error)
        }`,
      };
    }
    const read = readPublicKey(text);
    return read.ok
      ? read
      : { ok: false, reason: `--ticket-key ${source.file}: ${read.reason}` };
  }
  const url = `${source.kmsUrl}/ticket_key`;
  for (let attempt = 1;; attempt++) {
    const answer = await askKms(url);
    if (answer.ok || !("retry" in answer)) return answer;
    // One line, then one a minute: the KMS may take a while to come up.
    if (attempt % 60 === 1) {
      options.log(`waiting for the KMS at ${url}: ${answer.reason}`);
    }
    await new Promise((resolve) =>
      setTimeout(resolve, options.retryMs ?? 1000)
    );
    if (options.signal?.aborted) {
      return { ok: false, reason: `no answer from ${url}` };
    }
  }
}

async function askKms(
  url: string,
): Promise<TicketKeyResult | { ok: false; reason: string; retry: true }> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  } catch (error) {
    return { ok: false, reason: errorMessage(error), retry: true };
  }
  if (response.status >= 500) {
    await response.body?.cancel();
    return { ok: false, reason: `HTTP ${response.status}`, retry: true };
  }
  const body = await response.json().catch(() => undefined) as
    | Partial<TicketKeyResponse>
    | undefined;
  if (
    !response.ok || body?.algorithm !== "Ed25519" ||
    typeof body.public_key !== "string"
  ) {
    return {
      ok: false,
      reason: `${url} answered HTTP ${response.status} without an Ed25519 ` +
        "ticket key: is it a KMS that issues relay tickets?",
    };
  }
  const read = readPublicKey(body.public_key);
  return read.ok ? read : { ok: false, reason: `${url}: ${read.reason}` };
}
