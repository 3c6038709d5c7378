import { assertEquals } from "@std/assert";
import { TokenBucket } from "./rate_limit.ts";

Deno.test("TokenBucket allows a burst of its capacity, then its refill rate", () => {
  const bucket = new TokenBucket({ capacity: 3, refillPerSecond: 2, now: 0 });
  assertEquals([0, 0, 0, 0].map((t) => bucket.take(t)), [
    true,
    true,
    true,
    false,
  ]);
  assertEquals(bucket.take(499), false);
  assertEquals(bucket.take(500), true);
  assertEquals(bucket.take(500), false);
});

Deno.test("TokenBucket never holds more than its capacity and ignores a clock going back", () => {
  const bucket = new TokenBucket({
    capacity: 2,
    refillPerSecond: 1000,
    now: 0,
  });
  const taken = [60_000, 60_000, 60_000].map((t) => bucket.take(t));
  assertEquals(taken, [true, true, false]);
  assertEquals(bucket.take(1_000), false);
  assertEquals(bucket.take(60_001), true);
});
