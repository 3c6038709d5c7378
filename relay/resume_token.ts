/**
 * Resume tokens: a random secret the relay hands a device on registration,
 * which a new connection presents to replace the device's old one before
 * the old one is known to be dead.
 *
 * @module
 */

/**
 * A fresh 128-bit token as 32 lowercase hex characters.
 *
 * @example
 * ```ts
 * import { assertMatch } from "@std/assert";
 * import { newResumeToken } from "./resume_token.ts";
 *
 * assertMatch(newResumeToken(), /^[0-9a-f]{32}$/);
 * ```
 */
export function newResumeToken(): string {
  return crypto.getRandomValues(new Uint8Array(16)).toHex();
}

/** Outcome of {@linkcode readResumeToken}. */
export type ResumeTokenResult =
  | { ok: true; token?: string }
  | { ok: false; message: string };

/**
 * Reads the optional `resume` field of a register frame that
 * `readEnvelope` has already accepted. Register frames carry no message
 * contents, so parsing one whole is safe.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { readResumeToken } from "./resume_token.ts";
 *
 * assertEquals(
 *   readResumeToken('{"type":"register","device_id":"a","resume":"ab"}'),
 *   { ok: true, token: "ab" },
 * );
 * assertEquals(readResumeToken('{"from":"a"}'), { ok: true, token: undefined });
 * assertEquals(readResumeToken('{"from":"a","resume":1}'), {
 *   ok: false,
 *   message: "resume must be a string",
 * });
 * ```
 */
export function readResumeToken(registerFrame: string): ResumeTokenResult {
  const { resume } = JSON.parse(registerFrame) as { resume?: unknown };
  if (resume === undefined || typeof resume === "string") {
    return { ok: true, token: resume };
  }
  return { ok: false, message: "resume must be a string" };
}
