import { assertEquals } from "@std/assert";
import {
  clockTime,
  formatBytes,
  formatQber,
  printable,
  shortName,
} from "./format.ts";

Deno.test("shortName is the part after the last underscore", () => {
  assertEquals(shortName("Soldier_Alpha"), "Alpha");
  assertEquals(shortName("T1_Soldier_Bravo"), "Bravo");
  assertEquals(shortName("bravo"), "bravo");
  assertEquals(shortName("trailing_"), "trailing_");
});

Deno.test("clockTime pads hours, minutes and seconds", () => {
  assertEquals(clockTime(new Date(2026, 0, 1, 9, 5, 7)), "09:05:07");
  assertEquals(clockTime(new Date(2026, 0, 1, 23, 59, 59)), "23:59:59");
});

Deno.test("formatBytes and formatQber", () => {
  assertEquals(formatBytes(0), "0 B");
  assertEquals(formatBytes(1023), "1023 B");
  assertEquals(formatBytes(34002), "33.2 KiB");
  assertEquals(formatBytes(8 * 1024 * 1024), "8.0 MiB");
  assertEquals(formatQber(0.25), "25.0%");
});

Deno.test("printable neutralises escapes, controls and bidi overrides", () => {
  assertEquals(printable("a\x1b[31mred"), "a\uFFFD[31mred");
  assertEquals(printable("line\nbreak\r"), "line\uFFFDbreak\uFFFD");
  assertEquals(printable("tab\there"), "tab here");
  assertEquals(printable("\u202Etxt.exe"), "\uFFFDtxt.exe");
  assertEquals(printable("\x9b2J"), "\uFFFD2J");
  assertEquals(printable("ok ✓ 👍🏽 ünïcode"), "ok ✓ 👍🏽 ünïcode");
});
