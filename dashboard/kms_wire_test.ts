import { assertEquals } from "@std/assert";
import { parseKmsMessage, parseLinkStatus } from "./kms_wire.ts";
import { SAMPLE_LINK_REPORT } from "../protocol/_test_link_report.ts";
import { honestBlock } from "./link_expectation.ts";

/** A valid `state` event's data with some fields replaced. */
function stateData(fields: Record<string, unknown>): string {
  return JSON.stringify({
    status: "RED",
    qber: 0.25,
    total_keys_issued: 4,
    attacks_detected: 1,
    active_sessions: 2,
    history: [0.02, 0.25],
    router_last_seen: null,
    attack_mode: true,
    link: SAMPLE_LINK_REPORT,
    ...fields,
  });
}

/** A valid `link` event's data with some fields replaced. */
function linkData(fields: Record<string, unknown>): string {
  return JSON.stringify({
    status: "GREEN",
    qber: 0.02,
    rolling_qber: 0.02,
    eve: false,
    qubits: 2048,
    time: "T",
    ...fields,
  });
}

Deno.test("parseKmsMessage keeps only the fields the view shows", () => {
  assertEquals(
    parseKmsMessage(
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
    parseKmsMessage(
      "state",
      stateData({}),
    ),
    {
      type: "snapshot",
      incidents: { open: null, recent: [] },
      status: "RED",
      history: [0.02, 0.25],
      attackMode: true,
      link: SAMPLE_LINK_REPORT,
      expected: honestBlock(SAMPLE_LINK_REPORT.settings),
    },
  );
  assertEquals(parseKmsMessage("reset", '{"status":"GREEN","time":"T"}'), {
    type: "reset",
  });
  assertEquals(parseKmsMessage("attack_mode", '{"attack_mode":true}'), {
    type: "attack_mode",
    attackMode: true,
  });
});

Deno.test("parseKmsMessage drops malformed and uninteresting events", () => {
  assertEquals(parseKmsMessage("link", "not json"), null);
  assertEquals(
    parseKmsMessage("link", '{"status":"BLUE","qber":0.1,"time":"T"}'),
    null,
  );
  assertEquals(parseKmsMessage("link", linkData({ status: "BLUE" })), null);
  assertEquals(
    parseKmsMessage("link", '{"status":"RED","qber":7,"time":"T"}'),
    null,
  );
  assertEquals(parseKmsMessage("link", linkData({ qber: 7 })), null);
  assertEquals(parseKmsMessage("link", linkData({})), {
    type: "link",
    status: "GREEN",
    qber: 0.02,
    time: "T",
  });
  assertEquals(parseKmsMessage("state", '{"status":"GREEN"}'), null);
  // A state whose history is not all ratios is not the KMS's.
  assertEquals(
    parseKmsMessage(
      "state",
      stateData({ history: [0.02, 0.25, "x", 2] }),
    ),
    null,
  );
  assertEquals(
    parseKmsMessage("audit", '{"tag":"X","message":"m","at":"T"}'),
    null,
  );
  assertEquals(parseKmsMessage("key", '{"device":"a","key_id":"k"}'), null);
  assertEquals(parseKmsMessage("attack", '{"qber":0.25}'), null);
  // Valid, but their counters come from the next poll.
  assertEquals(
    parseKmsMessage("attack", '{"qber":0.25,"time":"T"}'),
    null,
  );
  assertEquals(
    parseKmsMessage(
      "key",
      JSON.stringify({
        device: "a",
        peer: "b",
        key_id: "k",
        qber: 0.02,
        kind: "pair",
        time: "T",
      }),
    ),
    null,
  );
  assertEquals(parseKmsMessage("link", "[1]"), null);
});

Deno.test("parseKmsMessage redacts key-like hex runs in audit messages", () => {
  const hex = "ab".repeat(32);
  const event = parseKmsMessage(
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

Deno.test("parseKmsMessage reads block and pool events, field by field", () => {
  const block = {
    ...SAMPLE_LINK_REPORT.last_block!,
    outcome: "insufficient_secret_bits",
    message: `single-photon bound 0 ${"ab".repeat(32)}`,
    secret_bits: 0,
    pool_bits: 4096,
    pool_capacity_bits: 16_777_216,
    key_rate_bps: 0,
    extra: "not for browsers",
  };
  const event = parseKmsMessage("block", JSON.stringify(block));
  assertEquals(event, {
    type: "block",
    block: {
      ...SAMPLE_LINK_REPORT.last_block!,
      outcome: "insufficient_secret_bits",
      message: "single-photon bound 0 [redacted]",
      secret_bits: 0,
    },
    keyRateBps: 0,
    poolBits: 4096,
    poolCapacityBits: 16_777_216,
  });
  assertEquals(
    parseKmsMessage("block", JSON.stringify({ ...block, outcome: "maybe" })),
    null,
  );
  const pool = {
    change: "flushed",
    bits: 4096,
    pool_bits: 0,
    pool_capacity_bits: 16_777_216,
    time: "T",
  };
  assertEquals(parseKmsMessage("pool", JSON.stringify(pool)), {
    type: "pool",
    change: "flushed",
    bits: 4096,
    poolBits: 0,
    poolCapacityBits: 16_777_216,
    time: "T",
  });
  assertEquals(
    parseKmsMessage("pool", JSON.stringify({ ...pool, bits: -1 })),
    null,
  );
  // A state whose link has a field too many still carries only the known ones.
  const state = parseKmsMessage(
    "state",
    stateData({ link: { ...SAMPLE_LINK_REPORT, secret: "x" } }),
  );
  assertEquals(state?.type === "snapshot" && state.link, SAMPLE_LINK_REPORT);
  // One without a link is not this KMS's.
  assertEquals(parseKmsMessage("state", stateData({ link: undefined })), null);
});
