import { assertEquals } from "@std/assert";
import {
  AUDIT_ENTRIES,
  bannerView,
  HISTORY_POINTS,
  INITIAL_SOC_STATE,
  parseKmsEvent,
  parseLinkStatus,
  reduceSoc,
  rollingQber,
  routerView,
  type SocEvent,
  type SocState,
} from "./soc_state.ts";

const live: SocState = { ...INITIAL_SOC_STATE, kms: "live", status: "GREEN" };

function fold(state: SocState, events: SocEvent[]): SocState {
  return events.reduce(reduceSoc, state);
}

function link(qber: number, status: "GREEN" | "YELLOW" | "RED"): SocEvent {
  return { type: "link", status, qber, time: "2026-02-23T05:00:00Z" };
}

Deno.test("parseKmsEvent keeps only the fields the view shows", () => {
  assertEquals(
    parseKmsEvent(
      "link",
      JSON.stringify({
        status: "YELLOW",
        qber: 0.07,
        rolling_qber: 0.06,
        eve: false,
        qubits: 2048,
        time: "T",
        key_hex: "00".repeat(32),
      }),
    ),
    { type: "link", status: "YELLOW", qber: 0.07, time: "T" },
  );
  assertEquals(
    parseKmsEvent(
      "state",
      JSON.stringify({
        status: "RED",
        qber: 0.25,
        history: [0.02, 0.25, "x", 2],
        attack_mode: true,
        total_keys_issued: 4,
      }),
    ),
    {
      type: "snapshot",
      status: "RED",
      history: [0.02, 0.25],
      attackMode: true,
    },
  );
  assertEquals(parseKmsEvent("reset", '{"status":"GREEN","time":"T"}'), {
    type: "reset",
  });
  assertEquals(parseKmsEvent("attack_mode", '{"attack_mode":true}'), {
    type: "attack_mode",
    attackMode: true,
  });
});

Deno.test("parseKmsEvent drops malformed and uninteresting events", () => {
  assertEquals(parseKmsEvent("link", "not json"), null);
  assertEquals(
    parseKmsEvent("link", '{"status":"BLUE","qber":0.1,"time":"T"}'),
    null,
  );
  assertEquals(
    parseKmsEvent("link", '{"status":"RED","qber":7,"time":"T"}'),
    null,
  );
  assertEquals(parseKmsEvent("state", '{"status":"GREEN"}'), null);
  assertEquals(
    parseKmsEvent("audit", '{"tag":"X","message":"m","at":"T"}'),
    null,
  );
  assertEquals(parseKmsEvent("key", '{"device":"a","key_id":"k"}'), null);
  assertEquals(parseKmsEvent("attack", '{"qber":0.25}'), null);
  assertEquals(parseKmsEvent("link", "[1]"), null);
});

Deno.test("parseKmsEvent redacts key-like hex runs in audit messages", () => {
  const hex = "ab".repeat(32);
  const event = parseKmsEvent(
    "audit",
    JSON.stringify({
      id: 7,
      tag: "KEY_ISSUED",
      message: `key_id=32ed7776-cd73-4885-9917-dcc3af8bf459 leaked=${hex}`,
      at: "T",
    }),
  );
  assertEquals(event, {
    type: "audit",
    entry: {
      id: 7,
      tag: "KEY_ISSUED",
      message: "key_id=32ed7776-cd73-4885-9917-dcc3af8bf459 leaked=[redacted]",
      at: "T",
    },
  });
});

Deno.test("parseLinkStatus reads counters and the router's age by the KMS clock", () => {
  const kmsNow = Date.parse("2026-02-23T05:00:10Z");
  assertEquals(
    parseLinkStatus({
      total_keys_issued: 3,
      attacks_detected: 1,
      active_sessions: 2,
      router_last_seen: "2026-02-23T05:00:07.600Z",
    }, kmsNow),
    {
      type: "counters",
      keysIssued: 3,
      attacksDetected: 1,
      activeSessions: 2,
      routerLastSeen: "2026-02-23T05:00:07.600Z",
      routerAgeSeconds: 2,
    },
  );
  // The Date header drops milliseconds: never a negative age.
  const fresh = parseLinkStatus(
    { router_last_seen: "2026-02-23T05:00:10.900Z" },
    kmsNow,
  );
  assertEquals(fresh?.type === "counters" && fresh.routerAgeSeconds, 0);
  const never = parseLinkStatus(
    { router_last_seen: null, active_sessions: -1 },
    kmsNow,
  );
  assertEquals(never?.type === "counters" && never, {
    type: "counters",
    keysIssued: 0,
    attacksDetected: 0,
    activeSessions: 0,
    routerLastSeen: null,
    routerAgeSeconds: null,
  });
  assertEquals(parseLinkStatus("nope", kmsNow), null);
});

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
