import { assertEquals } from "@std/assert";
import {
  AUDIT_ENTRIES,
  HISTORY_POINTS,
  INITIAL_SOC_STATE,
  reduceSoc,
  type SocEvent,
  type SocState,
} from "./soc_state.ts";
import { SAMPLE_LINK_REPORT } from "../protocol/_test_link_report.ts";
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
    incidents: { open: null, recent: [] },
    status: "GREEN",
    history: [0.03],
    attackMode: false,
    link: SAMPLE_LINK_REPORT,
    expected: null,
  });
  assertEquals(same.history, before.history);
  const other = reduceSoc(before, {
    type: "snapshot",
    incidents: { open: null, recent: [] },
    status: "RED",
    history: [0.25, 0.26],
    attackMode: true,
    link: SAMPLE_LINK_REPORT,
    expected: null,
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
    incidents: { open: null, recent: [] },
    status: "GREEN",
    history: [],
    attackMode: false,
    link: SAMPLE_LINK_REPORT,
    expected: null,
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

Deno.test("block and pool events fold into the link once a snapshot gave it", () => {
  const blockEvent: SocEvent = {
    type: "block",
    block: { ...SAMPLE_LINK_REPORT.last_block!, index: 8, time: "T8" },
    keyRateBps: 1_000_000,
    poolBits: 2_500_000,
    poolCapacityBits: SAMPLE_LINK_REPORT.pool_capacity_bits,
  };
  // Before any snapshot there are no settings to show a block against.
  assertEquals(reduceSoc(live, blockEvent).link, null);
  const state = fold(live, [
    {
      type: "snapshot",
      incidents: { open: null, recent: [] },
      status: "GREEN",
      history: [],
      attackMode: false,
      link: SAMPLE_LINK_REPORT,
      expected: null,
    },
    blockEvent,
    {
      type: "pool",
      change: "taken",
      bits: 4096,
      poolBits: 2_500_000 - 4096,
      poolCapacityBits: SAMPLE_LINK_REPORT.pool_capacity_bits,
      time: "T9",
    },
  ]);
  assertEquals(state.link?.lastBlock?.index, 8);
  assertEquals(state.link?.series.map((point) => point.time), [
    SAMPLE_LINK_REPORT.last_block!.time,
    "T8",
    "T9",
  ]);
  assertEquals(state.link?.poolBits, 2_500_000 - 4096);
  const attacked = reduceSoc(state, {
    ...blockEvent,
    block: { ...blockEvent.block, index: 9, eve: "pns" },
  });
  assertEquals(attacked.link?.eve, "pns");
  assertEquals(
    reduceSoc(attacked, { type: "attack_mode", attackMode: true }).link?.eve,
    "pns",
  );
  assertEquals(
    reduceSoc(attacked, { type: "attack_mode", attackMode: false }).link?.eve,
    "none",
  );
  // An operator's reset leaves the link's own series alone.
  assertEquals(reduceSoc(state, { type: "reset" }).link, state.link);
});
