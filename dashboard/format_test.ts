import { assertEquals } from "@std/assert";
import {
  count,
  percent,
  scientific,
  wholePercent,
  withPrefix,
  zuluTime,
} from "./format.ts";

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

Deno.test("count, scientific and withPrefix write the link's figures", () => {
  assertEquals(count(16_777_216), "16,777,216");
  assertEquals(scientific(1e-10), "1×10⁻¹⁰");
  assertEquals(scientific(1_000_000), "1×10⁶");
  assertEquals(scientific(0.02), "0.02");
  assertEquals(scientific(-3e-5), "-3×10⁻⁵");
  assertEquals(withPrefix(999, "bit"), "999 bit");
  assertEquals(withPrefix(2_246_720, "bit"), "2.25 Mbit");
  assertEquals(withPrefix(5e15, "Hz"), "5000 THz");
});
