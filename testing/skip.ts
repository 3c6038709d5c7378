/**
 * Skipping a system test whose host lacks what it needs (root, a tool),
 * without letting CI pass by skipping.
 *
 * @module
 */

/**
 * Skips a test loudly when `reason` is set: a console warning locally, a
 * thrown error when `CI=true` (a skipped system test is a failure in CI).
 * Returns true if the test should stop.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { skipUnless } from "./skip.ts";
 * assertEquals(skipUnless("my test", undefined), false);
 * ```
 */
export function skipUnless(name: string, reason: string | undefined): boolean {
  if (!reason) return false;
  if (Deno.env.get("CI") === "true") {
    throw new Error(`${name} cannot run in CI: ${reason}`);
  }
  console.warn(`SKIP ${name}: ${reason}`);
  return true;
}
