/**
 * Resume tokens: a random secret the relay hands a device on registration,
 * which a new connection presents (as `resume` in its register frame, read
 * by register_fields.ts) to replace the device's old one before the old one
 * is known to be dead.
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
