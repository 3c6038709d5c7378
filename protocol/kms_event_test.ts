import { assertEquals } from "@std/assert";
import {
  isLinkStatusResponse,
  type KmsEvent,
  parseKmsEvent,
} from "./kms_event.ts";
import { SAMPLE_LINK_REPORT } from "./_test_link_report.ts";
import type { Incident } from "./incident.ts";
import type { LinkStatusResponse } from "./types.ts";

const EVENTS: KmsEvent[] = [
  {
    event: "state",
    data: {
      status: "GREEN",
      qber: 0.02,
      total_keys_issued: 3,
      attacks_detected: 0,
      active_sessions: 1,
      history: [0.02, 0.021],
      router_last_seen: null,
      attack_mode: false,
      link: SAMPLE_LINK_REPORT,
    },
  },
  {
    event: "link",
    data: {
      status: "RED",
      qber: 0.25,
      rolling_qber: 0.13,
      eve: true,
      qubits: 2048,
      time: "2026-12-01T00:00:00.000Z",
    },
  },
  { event: "attack", data: { qber: 0.25, time: "T" } },
  { event: "attack_mode", data: { attack_mode: false } },
  { event: "reset", data: { status: "GREEN", time: "T" } },
  {
    event: "key",
    data: {
      device: "Soldier_Alpha",
      peer: null,
      key_id: "k",
      qber: 0.02,
      kind: "etsi",
      time: "T",
    },
  },
  { event: "audit", data: { id: 7, tag: "RESET", message: "x=y", at: "T" } },
  {
    event: "room",
    data: {
      room: "squad1",
      epoch: 3,
      leader: "Soldier_Alpha",
      expected: 4,
      members: ["Soldier_Alpha", "Soldier_Bravo"],
      ready: false,
      terminated: false,
    },
  },
  {
    event: "incident",
    data: {
      id: 1,
      opened_at: 1_700_000_000_000,
      closed_at: null,
      peak_qber: 0.26,
      first_qber: 0.25,
      blocks: 2,
      key_refusals: 5,
      affected_devices: ["Soldier_Alpha"],
      closed_by: null,
      acknowledged_by: null,
      acknowledged_at: null,
      epoch: 1,
    },
  },
];

Deno.test("every event the KMS publishes reads back as itself", () => {
  for (const event of EVENTS) {
    assertEquals(parseKmsEvent(event.event, JSON.stringify(event.data)), event);
  }
});

Deno.test("a field of the wrong type, a missing field or a foreign name is refused", () => {
  for (const event of EVENTS) {
    for (const field of Object.keys(event.data)) {
      const broken = { ...event.data, [field]: { nested: true } };
      assertEquals(
        parseKmsEvent(event.event, JSON.stringify(broken)),
        null,
        `${event.event}.${field} as an object`,
      );
      const missing: Record<string, unknown> = { ...event.data };
      delete missing[field];
      assertEquals(
        parseKmsEvent(event.event, JSON.stringify(missing)),
        null,
        `${event.event} without ${field}`,
      );
    }
  }
  for (const name of ["toString", "__proto__", "constructor", ""]) {
    assertEquals(parseKmsEvent(name, "{}"), null, name);
  }
  assertEquals(parseKmsEvent("audit", "not json"), null);
  assertEquals(parseKmsEvent("audit", "[1]"), null);
});

Deno.test("isLinkStatusResponse takes the state event's shape whole", () => {
  const state = EVENTS[0].data;
  assertEquals(isLinkStatusResponse(state), true);
  assertEquals(isLinkStatusResponse({ ...state, history: [2] }), false);
  assertEquals(isLinkStatusResponse({ ...state, router_last_seen: 5 }), false);
  assertEquals(isLinkStatusResponse(null), false);
});

Deno.test("the state event's incidents are checked when present", () => {
  const state = EVENTS[0].data as LinkStatusResponse;
  const incident = EVENTS.at(-1)!.data as Incident;
  const incidents = { open: incident, recent: [incident] };
  assertEquals(isLinkStatusResponse({ ...state, incidents }), true);
  assertEquals(
    isLinkStatusResponse({ ...state, incidents: { open: null } }),
    false,
  );
  assertEquals(
    isLinkStatusResponse({
      ...state,
      incidents: { open: { ...incident, blocks: -1 }, recent: [] },
    }),
    false,
  );
});
