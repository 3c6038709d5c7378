/**
 * The one-line text of a caught value, for a message to an operator: the
 * error's message, or the value itself for a thrown non-error.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { errorMessage } from "./error_message.ts";
 *
 * assertEquals(errorMessage(new Error("port in use")), "port in use");
 * assertEquals(errorMessage("gone"), "gone");
 * ```
 *
 * @module
 */

/** The message of `error`, or `error` as text when it is not an `Error`. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
