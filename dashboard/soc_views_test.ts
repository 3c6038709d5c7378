import { assertEquals } from "@std/assert";
import { INITIAL_SOC_STATE, type SocState } from "./soc_state.ts";
import { rollingQber, routerView } from "./soc_views.ts";

const live: SocState = { ...INITIAL_SOC_STATE, kms: "live", status: "GREEN" };

Deno.test("routerView says alive, silent, never or unknown", () => {
  const seen = (age: number | null): SocState => ({
    ...live,
    routerLastSeen: age === null ? null : "2026-02-23T05:00:00Z",
    routerAgeSeconds: age,
  });
  assertEquals(routerView(seen(3)).guard, "alive");
  assertEquals(routerView(seen(10)).guard, "alive");
  assertEquals(routerView(seen(11)).guard, "silent");
  assertEquals(routerView(seen(null)).guard, "never");
  assertEquals(routerView({ ...seen(3), kms: "unreachable" }).guard, "unknown");
  assertEquals(routerView({ ...seen(3), chatBlocked: true }).chat, "BLOCKED");
});

Deno.test("rollingQber averages the link policy's window, null with no runs", () => {
  const points = [0.5, 0.02, 0.02, 0.02, 0.02, 0.02].map((qber) => ({
    qber,
    time: null,
  }));
  assertEquals(rollingQber(points), 0.02);
  assertEquals(rollingQber([]), null);
});
