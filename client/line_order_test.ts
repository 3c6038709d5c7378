import { assertEquals } from "@std/assert";
import { LineOrder, type ShownLine } from "./line_order.ts";

function ordered(holdMs = 50) {
  const shown: ShownLine[] = [];
  const order = new LineOrder({ show: (line) => shown.push(line), holdMs });
  const take = (n: number | undefined, writtenAt: number) =>
    order.take("Soldier_Bravo", {
      mid: `m-${n}-${writtenAt}`,
      text: `line ${n}`,
      writtenAt,
      ...(n === undefined ? {} : { n }),
    });
  const texts = () =>
    shown.map((line) => `${line.text}${line.late ? " late" : ""}`);
  return { order, take, texts };
}

Deno.test("lines ahead of a missing one wait for it, then all show in order", () => {
  const { order, take, texts } = ordered();
  take(1, 1000);
  take(3, 3000);
  take(4, 4000);
  assertEquals(texts(), ["line 1"]);
  take(2, 2000);
  assertEquals(texts(), ["line 1", "line 2", "line 3", "line 4"]);
  order.close();
});

Deno.test("a missing line that comes after the wait is shown as late", async () => {
  const { take, texts } = ordered(20);
  take(1, 1000);
  take(3, 3000);
  await new Promise((resolve) => setTimeout(resolve, 60));
  assertEquals(texts(), ["line 1", "line 3"]);
  take(2, 2000);
  assertEquals(texts(), ["line 1", "line 3", "line 2 late"]);
});

Deno.test("a sender that restarted numbers from 1 again, not late", () => {
  const { order, take, texts } = ordered();
  take(5, 5000);
  take(1, 9000);
  take(2, 9500);
  assertEquals(texts(), ["line 5", "line 1", "line 2"]);
  order.close();
});

Deno.test("lines from older clients (no number) show as they come", () => {
  const { order, take, texts } = ordered();
  take(undefined, 2000);
  take(undefined, 1000);
  assertEquals(texts(), ["line undefined", "line undefined"]);
  order.close();
});

Deno.test("close shows what is held", () => {
  const { order, take, texts } = ordered(60_000);
  take(1, 1000);
  take(3, 3000);
  order.close();
  assertEquals(texts(), ["line 1", "line 3"]);
});
