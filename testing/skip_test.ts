import { assertEquals, assertThrows } from "@std/assert";
import { skipUnless } from "./skip.ts";

Deno.test("a missing prerequisite warns locally and fails in CI", () => {
  const saved = Deno.env.get("CI");
  const warn = console.warn;
  const warnings: string[] = [];
  console.warn = (msg: string) => warnings.push(msg);
  try {
    Deno.env.delete("CI");
    assertEquals(skipUnless("t", undefined), false);
    assertEquals(skipUnless("t", "needs root"), true);
    assertEquals(warnings, ["SKIP t: needs root"]);
    Deno.env.set("CI", "true");
    assertThrows(
      () => skipUnless("t", "needs root"),
      Error,
      "t cannot run in CI: needs root",
    );
  } finally {
    console.warn = warn;
    if (saved === undefined) Deno.env.delete("CI");
    else Deno.env.set("CI", saved);
  }
});
