import { assertEquals } from "@std/assert";
import { backoffDelay } from "./backoff.ts";

Deno.test("backoff doubles up to the maximum, with jitter in the upper half", () => {
  const top = { random: () => 0.999999 };
  assertEquals([0, 1, 2, 3, 4, 5].map((n) => backoffDelay(n, top)), [
    499,
    999,
    1999,
    3999,
    4999,
    4999,
  ]);
  assertEquals(backoffDelay(0, { random: () => 0 }), 250);
  assertEquals(backoffDelay(1000, { random: () => 0, maxMs: 800 }), 400);
});
