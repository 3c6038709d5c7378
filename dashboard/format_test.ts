import { assertEquals } from "@std/assert";
import { percent, wholePercent, zuluTime } from "./format.ts";

Deno.test("percent writes one decimal, or a dash for none", () => {
  assertEquals(percent(0.25), "25.0%");
  assertEquals(percent(0.0234), "2.3%");
  assertEquals(percent(null), "—");
});

Deno.test("wholePercent writes the thresholds as they are spoken", () => {
  assertEquals(wholePercent(0.05), "5%");
  assertEquals(wholePercent(0.11), "11%");
  assertEquals(wholePercent(0.3), "30%");
});

Deno.test("zuluTime writes the UTC time of day", () => {
  assertEquals(zuluTime("2026-02-23T05:00:01.123Z"), "05:00:01Z");
  assertEquals(zuluTime("2026-02-23T07:00:01+02:00"), "05:00:01Z");
  assertEquals(zuluTime("garbage"), "—");
  assertEquals(zuluTime(null), "—");
});
