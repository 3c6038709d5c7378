import { assertEquals } from "@std/assert";
import { linkStatusFor, rollingQber } from "./link_policy.ts";

Deno.test("the status follows the rolling average of the last five runs", () => {
  assertEquals(linkStatusFor([]), "GREEN");
  assertEquals(linkStatusFor([0.02, 0.03]), "GREEN");
  assertEquals(linkStatusFor([0.05]), "YELLOW", "5% is YELLOW");
  assertEquals(linkStatusFor([0.11]), "RED", "11% is RED");
  // One attacked run among four quiet ones averages below 11%.
  assertEquals(linkStatusFor([0.02, 0.02, 0.02, 0.02, 0.25]), "YELLOW");
  assertEquals(linkStatusFor([0.02, 0.02, 0.02, 0.25, 0.25]), "RED");
  // Older values fall out of the window.
  assertEquals(
    linkStatusFor([0.5, 0.5, 0.02, 0.02, 0.02, 0.02, 0.02]),
    "GREEN",
  );
  assertEquals(rollingQber([0.1, 0.2]), 0.15000000000000002);
});
