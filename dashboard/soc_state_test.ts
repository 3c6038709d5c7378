import { assertEquals } from "@std/assert";
import {
  AUDIT_ENTRIES,
  HISTORY_POINTS,
  INITIAL_SOC_STATE,
  reduceSoc,
  type SocEvent,
  type SocState,
} from "./soc_state.ts";
import { bannerView, rollingQber } from "./soc_views.ts";

const live: SocState = { ...INITIAL_SOC_STATE, kms: "live", status: "GREEN" };

function fold(state: SocState, events: SocEvent[]): SocState {
  return events.reduce(reduceSoc, state);
}

function link(qber: number, status: "GREEN" | "YELLOW" | "RED"): SocEvent {
  return { type: "link", status, qber, time: "2026-02-23T05:00:00Z" };
}

Deno.test("link events append to the history and set the status", () => {
  const state = fold(live, [link(0.02, "GREEN"), link(0.25, "RED")]);
  assertEquals(state.status, "RED");
  assertEquals(state.history.map((p) => p.qber), [0.02, 0.25]);
  assertEquals(rollingQber(state.history), 0.135);
  const long = fold(
    live,
    Array.from({ length: HISTORY_POINTS + 5 }, () => link(0.01, "GREEN")),
  );
  assertEquals(long.history.length, HISTORY_POINTS);
});

Deno.test("the router guard's rule: block on RED, lift only on GREEN", () => {
  const red = fold(live, [link(0.25, "RED")]);
  assertEquals(red.chatBlocked, true);
  const yellow = reduceSoc(red, link(0.02, "YELLOW"));
  assertEquals(yellow.chatBlocked, true);
  assertEquals(reduceSoc(yellow, link(0.02, "GREEN")).chatBlocked, false);
  assertEquals(reduceSoc(live, link(0.06, "YELLOW")).chatBlocked, false);
  assertEquals(reduceSoc(red, { type: "reset" }).chatBlocked, false);
});

Deno.test("a snapshot keeps timed points that the KMS's history continues", () => {
  const before = fold(live, [link(0.02, "GREEN"), link(0.03, "GREEN")]);
  const same = reduceSoc(before, {
    type: "snapshot",
    status: "GREEN",
    history: [0.03],
    attackMode: false,
  });
  assertEquals(same.history, before.history);
  const other = reduceSoc(before, {
    type: "snapshot",
    status: "RED",
    history: [0.25, 0.26],
    attackMode: true,
  });
  assertEquals(other.history, [
    { qber: 0.25, time: null },
    { qber: 0.26, time: null },
  ]);
  assertEquals([other.status, other.attackMode, other.chatBlocked], [
    "RED",
    true,
    true,
  ]);
  const cleared = reduceSoc(before, {
    type: "snapshot",
    status: "GREEN",
    history: [],
    attackMode: false,
  });
  assertEquals(cleared.history, []);
});

Deno.test("reset clears the history; reconnecting clears the audit list", () => {
  const state = fold(live, [
    link(0.25, "RED"),
    { type: "attack_mode", attackMode: true },
    { type: "audit", entry: { id: 1, tag: "RESET", message: "m", at: "T" } },
    { type: "audit", entry: { id: 1, tag: "RESET", message: "m", at: "T" } },
  ]);
  assertEquals(state.audit.length, 1);
  assertEquals(state.attackMode, true);
  const reset = reduceSoc(state, { type: "reset" });
  assertEquals([reset.status, reset.history], ["GREEN", []]);
  const down = reduceSoc(reset, { type: "kms", kms: "unreachable" });
  assertEquals([down.kms, down.audit.length, down.status], [
    "unreachable",
    1,
    "GREEN",
  ]);
  assertEquals(bannerView(down).kms, "unreachable");
  assertEquals(reduceSoc(down, { type: "kms", kms: "live" }).audit, []);
});

Deno.test("the audit list keeps the newest entries", () => {
  const state = fold(
    live,
    Array.from({ length: AUDIT_ENTRIES + 3 }, (_, id) => ({
      type: "audit" as const,
      entry: { id, tag: "KEY_ISSUED", message: "m", at: "T" },
    })),
  );
  assertEquals(state.audit.length, AUDIT_ENTRIES);
  assertEquals(state.audit.at(-1)?.id, AUDIT_ENTRIES + 2);
});
