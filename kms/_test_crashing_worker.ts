/**
 * Test helper: a link worker that fails at once with an uncaught error, for
 * `link_runner_test.ts`'s restart test.
 *
 * @module
 */

/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />

self.onmessage = () => {
  throw new RangeError("the scripted block failed");
};
