import { assert, assertEquals, assertRejects } from "@std/assert";
import { retry, waitUntil } from "./wait.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("waitUntil resolves once a sync condition holds, polling until then", async () => {
  let polls = 0;
  await waitUntil(() => ++polls === 5, "the fifth poll");
  assertEquals(polls, 5);
});

Deno.test("waitUntil awaits an async condition", async () => {
  let polls = 0;
  await waitUntil(async () => {
    await sleep(1);
    return ++polls === 3;
  }, "the third poll");
  assertEquals(polls, 3);
});

Deno.test("waitUntil times out naming what it waited for", async () => {
  await assertRejects(
    () => waitUntil(() => false, "the flag", { timeoutMs: 30 }),
    Error,
    "timed out after 30 ms waiting for the flag",
  );
});

Deno.test("waitUntil describes the state at the timeout, asking only then", async () => {
  let polls = 0;
  let described = 0;
  const error = await assertRejects(
    () =>
      waitUntil(
        () => (++polls, false),
        () => `${++described}: ${polls} polls`,
        {
          timeoutMs: 30,
        },
      ),
    Error,
  );
  assertEquals(described, 1);
  assertEquals(
    error.message,
    `timed out after 30 ms waiting for 1: ${polls} polls`,
  );
});

Deno.test("waitUntil checks once past the deadline, however slow each check", async () => {
  const start = performance.now();
  // Each check takes 30 ms and reports the time it began at: the check that
  // begins before the deadline and ends after it fails, the next succeeds.
  await waitUntil(
    async () => {
      const began = performance.now();
      await sleep(30);
      return began > start + 50;
    },
    "a check begun after the deadline",
    { timeoutMs: 50 },
  );
});

Deno.test("a condition that throws ends the wait at once with its error", async () => {
  let polls = 0;
  await assertRejects(
    () =>
      waitUntil(() => {
        polls++;
        throw new Error("the peer is gone");
      }, "the peer"),
    Error,
    "the peer is gone",
  );
  assertEquals(polls, 1);
});

Deno.test("retry returns what a sync attempt returns once it stops throwing", async () => {
  let calls = 0;
  const answer = await retry(() => {
    if (++calls < 4) throw new Error("refused");
    return "connected";
  });
  assertEquals([answer, calls], ["connected", 4]);
});

Deno.test("retry awaits an async attempt, retrying its rejections", async () => {
  let calls = 0;
  const answer = await retry(async () => {
    await sleep(1);
    if (++calls < 3) throw new Error("refused");
    return calls;
  });
  assertEquals(answer, 3);
});

Deno.test("retry rethrows the error of its last attempt after the timeout", async () => {
  let calls = 0;
  const error = await assertRejects(
    () =>
      retry(() => {
        throw new Error(`refused ${++calls}`);
      }, { timeoutMs: 30 }),
    Error,
  );
  assert(calls > 1, `${calls} attempts`);
  assertEquals(error.message, `refused ${calls}`);
});

Deno.test("retry pauses intervalMs between attempts", async () => {
  let calls = 0;
  await assertRejects(() =>
    retry(() => {
      throw new Error(`refused ${++calls}`);
    }, { timeoutMs: 50, intervalMs: 40 })
  );
  // Attempts begin at 0, >= 40 and >= 80 ms; the one past 50 ms is the last.
  assert(calls >= 2 && calls <= 3, `${calls} attempts`);
});
