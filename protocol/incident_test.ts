import { assertEquals } from "@std/assert";
import {
  type Incident,
  isIncident,
  isLinkIncidents,
  RECENT_INCIDENTS,
} from "./incident.ts";

const CLOSED: Incident = {
  id: 3,
  opened_at: 1_700_000_000_000,
  closed_at: 1_700_000_020_000,
  peak_qber: 0.27,
  first_qber: 0.25,
  blocks: 40,
  key_refusals: 34,
  affected_devices: ["Soldier_Alpha", "Soldier_Bravo"],
  closed_by: "Operator",
  acknowledged_by: "Operator",
  acknowledged_at: 1_700_000_010_000,
  epoch: 2,
};

Deno.test("an incident reads back whole; every field is checked", () => {
  assertEquals(isIncident(JSON.parse(JSON.stringify(CLOSED))), true);
  for (const field of Object.keys(CLOSED)) {
    const missing: Record<string, unknown> = { ...CLOSED };
    delete missing[field];
    assertEquals(isIncident(missing), false, `without ${field}`);
    assertEquals(
      isIncident({ ...CLOSED, [field]: { nested: true } }),
      false,
      `${field} as an object`,
    );
  }
  const refused: [string, unknown][] = [
    ["id", 0],
    ["opened_at", -1],
    ["peak_qber", 1.5],
    ["blocks", 1.5],
    ["affected_devices", ["two words"]],
    ["closed_by", ""],
    ["closed_by", "x".repeat(65)],
    ["epoch", "1"],
  ];
  for (const [field, value] of refused) {
    assertEquals(isIncident({ ...CLOSED, [field]: value }), false, field);
  }
});

Deno.test("closed goes with its closer, acknowledged with its acknowledger", () => {
  const open = { ...CLOSED, closed_at: null, closed_by: null };
  assertEquals(isIncident(open), true);
  assertEquals(isIncident({ ...CLOSED, closed_by: null }), false);
  assertEquals(isIncident({ ...open, closed_by: "Operator" }), false);
  assertEquals(
    isIncident({ ...CLOSED, acknowledged_at: null, acknowledged_by: null }),
    true,
  );
  assertEquals(isIncident({ ...CLOSED, acknowledged_at: null }), false);
  assertEquals(isIncident({ ...CLOSED, acknowledged_by: null }), false);
});

Deno.test("link incidents: the open one and at most twenty recent ones", () => {
  const open = { ...CLOSED, id: 4, closed_at: null, closed_by: null };
  assertEquals(isLinkIncidents({ open, recent: [open, CLOSED] }), true);
  assertEquals(isLinkIncidents({ open: null, recent: [] }), true);
  assertEquals(isLinkIncidents({ open: { id: 4 }, recent: [] }), false);
  assertEquals(isLinkIncidents({ open: null, recent: [{}] }), false);
  assertEquals(
    isLinkIncidents({
      open: null,
      recent: Array.from({ length: RECENT_INCIDENTS + 1 }, () => CLOSED),
    }),
    false,
  );
  assertEquals(isLinkIncidents([]), false);
});
