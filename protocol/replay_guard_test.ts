import { assertEquals, assertThrows } from "@std/assert";
import { REPLAY_WINDOW_SIZE, ReplayGuard } from "./replay_guard.ts";

Deno.test("ReplayGuard accepts a sequence number once", () => {
  const guard = new ReplayGuard();
  assertEquals(guard.check({ sender: "a", keyId: "k" }, 0), true);
  assertEquals(guard.check({ sender: "a", keyId: "k" }, 0), false);
  assertEquals(guard.check({ sender: "a", keyId: "k" }, 1), true);
  assertEquals(guard.check({ sender: "a", keyId: "k" }, 1), false);
  assertEquals(guard.check({ sender: "a", keyId: "k" }, 0), false);
});

Deno.test("ReplayGuard accepts reordering within the window once", () => {
  const guard = new ReplayGuard();
  const arrivals = [10, 12, 11, 15, 13, 14];
  for (const seq of arrivals) {
    assertEquals(guard.check({ sender: "a", keyId: "k" }, seq), true);
  }
  for (const seq of arrivals) {
    assertEquals(guard.check({ sender: "a", keyId: "k" }, seq), false);
  }
});

Deno.test("ReplayGuard refuses numbers that fell behind the window", () => {
  const guard = new ReplayGuard();
  const top = 5000;
  guard.check({ sender: "a", keyId: "k" }, top);
  assertEquals(
    guard.check({ sender: "a", keyId: "k" }, top - REPLAY_WINDOW_SIZE),
    false,
  );
  assertEquals(guard.check({ sender: "a", keyId: "k" }, 0), false);
  assertEquals(
    guard.check({ sender: "a", keyId: "k" }, top - REPLAY_WINDOW_SIZE + 1),
    true,
  );
  assertEquals(
    guard.check({ sender: "a", keyId: "k" }, top - REPLAY_WINDOW_SIZE + 1),
    false,
  );
});

Deno.test("ReplayGuard reuses window slots as it slides", () => {
  const guard = new ReplayGuard();
  for (let seq = 0; seq < REPLAY_WINDOW_SIZE; seq++) {
    guard.check({ sender: "a", keyId: "k" }, seq);
  }
  const top = REPLAY_WINDOW_SIZE + 5;
  assertEquals(guard.check({ sender: "a", keyId: "k" }, top), true);
  // Skipped numbers share ring slots with 0..4, which must not mark them seen.
  for (let seq = REPLAY_WINDOW_SIZE; seq < top; seq++) {
    assertEquals(
      guard.check({ sender: "a", keyId: "k" }, seq),
      true,
      `seq ${seq}`,
    );
  }
  assertEquals(guard.check({ sender: "a", keyId: "k" }, 5), false);
  assertEquals(guard.check({ sender: "a", keyId: "k" }, 6), false);
});

Deno.test("ReplayGuard clears the window on a jump past it", () => {
  const guard = new ReplayGuard();
  for (let seq = 0; seq < 40; seq++) {
    guard.check({ sender: "a", keyId: "k" }, seq);
  }
  const jump = 39 + REPLAY_WINDOW_SIZE + 5;
  assertEquals(guard.check({ sender: "a", keyId: "k" }, jump), true);
  // Same ring slot as 10, which was seen before the jump.
  assertEquals(
    guard.check({ sender: "a", keyId: "k" }, REPLAY_WINDOW_SIZE + 10),
    true,
  );
  assertEquals(guard.check({ sender: "a", keyId: "k" }, jump - 1), true);
  assertEquals(guard.check({ sender: "a", keyId: "k" }, 39), false);
});

Deno.test("ReplayGuard keeps streams of each sender and key apart", () => {
  const guard = new ReplayGuard();
  assertEquals(guard.check({ sender: "a", keyId: "k" }, 3), true);
  assertEquals(guard.check({ sender: "b", keyId: "k" }, 3), true);
  assertEquals(guard.check({ sender: "a", keyId: "k2" }, 3), true);
  // Parts that would collide if naively joined with a separator.
  assertEquals(guard.check({ sender: "a|b", keyId: "c" }, 3), true);
  assertEquals(guard.check({ sender: "a", keyId: "b|c" }, 3), true);
  assertEquals(guard.size, 5);
});

Deno.test("ReplayGuard holds at most maxStreams, evicting the least recently used", () => {
  const guard = new ReplayGuard({ maxStreams: 3 });
  guard.check({ sender: "a", keyId: "k" }, 1);
  guard.check({ sender: "b", keyId: "k" }, 1);
  guard.check({ sender: "c", keyId: "k" }, 1);
  guard.check({ sender: "a", keyId: "k" }, 2); // "a" is now the most recently used.
  guard.check({ sender: "d", keyId: "k" }, 1); // Evicts "b".
  assertEquals(guard.size, 3);
  assertEquals(guard.check({ sender: "a", keyId: "k" }, 1), false);
  assertEquals(guard.check({ sender: "c", keyId: "k" }, 1), false);
  assertEquals(guard.check({ sender: "d", keyId: "k" }, 1), false);
  assertEquals(guard.check({ sender: "b", keyId: "k" }, 1), true);

  const bounded = new ReplayGuard({ maxStreams: 100 });
  for (let i = 0; i < 10_000; i++) {
    bounded.check({ sender: `device-${i}`, keyId: "k" }, 0);
  }
  assertEquals(bounded.size, 100);
});

Deno.test("ReplayGuard refuses invalid arguments", () => {
  const guard = new ReplayGuard();
  for (const seq of [-1, 0.5, NaN, Infinity, 2 ** 53]) {
    assertThrows(
      () => guard.check({ sender: "a", keyId: "k" }, seq),
      RangeError,
    );
  }
  for (const maxStreams of [0, -1, 1.5]) {
    assertThrows(() => new ReplayGuard({ maxStreams }), RangeError);
  }
});
