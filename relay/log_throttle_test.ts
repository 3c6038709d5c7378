import { assertEquals } from "@std/assert";
import { LogThrottle } from "./log_throttle.ts";

Deno.test("LogThrottle prints up to its rate per second, then a count", () => {
  let now = 0;
  const printed: string[] = [];
  const log = new LogThrottle((line) => printed.push(line), {
    linesPerSecond: 2,
    now: () => now,
  });
  for (const line of ["a", "b", "c", "d"]) log.line(line);
  assertEquals(printed, ["a", "b"]);
  now = 999;
  log.flush();
  assertEquals(printed.length, 2);
  now = 1000;
  log.line("e");
  assertEquals(printed, [
    "a",
    "b",
    "2 more not shown (console limited to 2 lines/s)",
    "e",
  ]);
  now = 5000;
  log.flush();
  assertEquals(printed.length, 4, "nothing held back, nothing to report");
});
