import { assert, assertEquals, assertMatch } from "@std/assert";
import { DatabaseSync } from "node:sqlite";
import {
  type Incident,
  isIncident,
  isLinkIncidents,
  isLinkStatusResponse,
  parseKmsEvent,
  RECENT_INCIDENTS,
} from "../protocol/mod.ts";
import { Auditor } from "./audit.ts";
import { EventHub } from "./events.ts";
import {
  ATTACKS_DETECTED,
  INCIDENT_UPDATE_MS,
  IncidentLog,
  MAX_AFFECTED_DEVICES,
} from "./incident.ts";
import { KmsStore } from "./store.ts";
import { withMemoryKms } from "./_test_memory_kms.ts";
import { withDatabaseFile } from "./_test_database_file.ts";
import { delay, ServerSentEventParseStream } from "../common/std.ts";

/** An incident log on `store` with a clock the test moves. */
function incidentLog(store: KmsStore, clock: { now: number }) {
  const hub = new EventHub();
  const events: Incident[] = [];
  const publish = hub.publish.bind(hub);
  hub.publish = (event) => {
    if (event.event === "incident") events.push(structuredClone(event.data));
    publish(event);
  };
  const incidents = new IncidentLog(store, hub, {
    audit: new Auditor(store, hub, { log: () => {} }),
    now: () => clock.now,
  });
  return { incidents, events };
}

Deno.test("an incident: opened at RED, counts blocks, peak and refusals per device, closed by the operator", () => {
  const store = new KmsStore(":memory:");
  const clock = { now: 1_700_000_000_000 };
  const { incidents, events } = incidentLog(store, clock);
  assertEquals(incidents.snapshot(), { open: null, recent: [] });
  const opened = incidents.open({ qber: 0.25, epoch: 3 });
  assertEquals(incidents.open({ qber: 0.3, epoch: 3 }).id, opened.id);
  for (const qber of [0.27, 0.26]) incidents.block(qber);
  for (const device of ["Soldier_Bravo", "Soldier_Alpha", "Soldier_Bravo"]) {
    incidents.refused(device);
  }
  clock.now += 20_000;
  const closed = incidents.close("Operator")!;
  assertEquals(closed, {
    id: 1,
    opened_at: 1_700_000_000_000,
    closed_at: 1_700_000_020_000,
    peak_qber: 0.27,
    first_qber: 0.25,
    blocks: 3,
    key_refusals: 3,
    affected_devices: ["Soldier_Alpha", "Soldier_Bravo"],
    closed_by: "Operator",
    acknowledged_by: null,
    acknowledged_at: null,
    epoch: 3,
  });
  assert(isIncident(closed));
  assertEquals(incidents.close("Operator"), null, "nothing left to close");
  incidents.block(0.3);
  incidents.refused("Soldier_Alpha");
  assertEquals(incidents.snapshot(), { open: null, recent: [closed] });
  assertEquals(incidents.count, 1);
  assertEquals(store.counter(ATTACKS_DETECTED), 1);
  assertEquals(events.at(0)!.closed_at, null, "the opening is published");
  assertEquals(events.at(-1), closed, "and the close");
  const rows = store.recentAudit(10).map((e) => `[${e.tag}] ${e.message}`);
  assertEquals(rows, [
    "[INCIDENT_OPENED] incident=1 epoch=3 qber=0.250",
    "[INCIDENT_CLOSED] incident=1 by=Operator blocks=3 peak_qber=0.270 key_refusals=3 devices=Soldier_Alpha,Soldier_Bravo",
  ]);
  incidents.stop();
  store.close();
});

Deno.test("changes while open are written and published at most once a second, the last one included", async () => {
  const store = new KmsStore(":memory:");
  const clock = { now: 1_700_000_000_000 };
  const { incidents, events } = incidentLog(store, clock);
  incidents.open({ qber: 0.25, epoch: 1 });
  assertEquals(events.length, 1);
  for (let i = 0; i < 50; i++) incidents.refused("Soldier_Alpha");
  assertEquals(events.length, 1, "throttled");
  clock.now += INCIDENT_UPDATE_MS;
  await delay(INCIDENT_UPDATE_MS + 100);
  assertEquals(events.length, 2);
  assertEquals(events[1].key_refusals, 50, "the last change arrives");
  const stored = store.statement(
    "SELECT key_refusals FROM incidents WHERE id = 1",
  ).get() as { key_refusals: number };
  assertEquals(stored.key_refusals, 50);
  incidents.refused("Soldier_Alpha");
  incidents.stop();
  assertEquals(
    (store.statement("SELECT key_refusals FROM incidents").get() as {
      key_refusals: number;
    }).key_refusals,
    51,
    "stop writes what is pending",
  );
  store.close();
});

Deno.test("a restart keeps the open incident and the closed ones", async () => {
  await withDatabaseFile((path) => {
    let store = new KmsStore(path);
    const clock = { now: 1_700_000_000_000 };
    let { incidents } = incidentLog(store, clock);
    incidents.open({ qber: 0.25, epoch: 1 });
    incidents.close("Operator");
    incidents.open({ qber: 0.3, epoch: 2 });
    incidents.refused("SAE_A");
    incidents.stop();
    store.close();
    store = new KmsStore(path);
    ({ incidents } = incidentLog(store, clock));
    const { open, recent } = incidents.snapshot();
    assertEquals(open?.id, 2);
    assertEquals(open?.affected_devices, ["SAE_A"]);
    assertEquals(recent.map((i) => [i.id, i.closed_by]), [
      [2, null],
      [1, "Operator"],
    ]);
    assertEquals(incidents.count, 2);
    incidents.stop();
    store.close();
  });
});

Deno.test("acknowledging: the first acknowledgement stays, every one is audited, unknown ids are undefined", () => {
  const store = new KmsStore(":memory:");
  const clock = { now: 1_700_000_000_000 };
  const { incidents } = incidentLog(store, clock);
  const { id } = incidents.open({ qber: 0.25, epoch: 1 });
  clock.now += 5000;
  const first = incidents.acknowledge(id, "Operator")!;
  assertEquals([first.acknowledged_by, first.acknowledged_at], [
    "Operator",
    1_700_000_005_000,
  ]);
  assertEquals(incidents.current?.acknowledged_by, "Operator");
  incidents.close("Operator");
  clock.now += 5000;
  const again = incidents.acknowledge(id, "Operator_2")!;
  assertEquals(again.acknowledged_by, "Operator");
  assertEquals(incidents.acknowledge(99, "Operator"), undefined);
  assertEquals(
    store.recentAudit(10).filter((e) => e.tag === "ALERT_ACKNOWLEDGED").map((
      e,
    ) => e.message),
    ["incident=1 by=Operator", "incident=1 by=Operator_2"],
  );
  incidents.stop();
  store.close();
});

Deno.test("recent lists the last twenty, newest first; an incident names at most 64 devices", () => {
  const store = new KmsStore(":memory:");
  const { incidents } = incidentLog(store, { now: 1_700_000_000_000 });
  for (let i = 0; i < RECENT_INCIDENTS + 5; i++) {
    incidents.open({ qber: 0.25, epoch: i + 1 });
    incidents.close("Operator");
  }
  incidents.open({ qber: 0.25, epoch: 99 });
  for (let i = 0; i < MAX_AFFECTED_DEVICES + 10; i++) {
    incidents.refused(`Device_${i}`);
  }
  const snapshot = incidents.snapshot();
  assert(isLinkIncidents(snapshot));
  assertEquals(snapshot.recent.length, RECENT_INCIDENTS);
  assertEquals(snapshot.recent[0], snapshot.open);
  assertEquals(snapshot.recent[1].id, RECENT_INCIDENTS + 5);
  assertEquals(snapshot.open?.affected_devices.length, MAX_AFFECTED_DEVICES);
  assertEquals(snapshot.open?.key_refusals, MAX_AFFECTED_DEVICES + 10);
  incidents.stop();
  store.close();
});

Deno.test("a database from before issue 18: its block-counting attacks_detected starts again from the incidents", async () => {
  await withDatabaseFile((path) => {
    const old = new DatabaseSync(path);
    old.exec(
      "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);" +
        "INSERT INTO counters VALUES ('attacks_detected', 17), ('total_keys_issued', 5);",
    );
    old.close();
    let store = new KmsStore(path);
    assertEquals(store.counter(ATTACKS_DETECTED), 0);
    assertEquals(store.counter("total_keys_issued"), 5);
    store.addCounter(ATTACKS_DETECTED, 1);
    store.close();
    store = new KmsStore(path);
    assertEquals(store.counter(ATTACKS_DETECTED), 1, "once only");
    store.close();
  });
});

Deno.test("the KMS: one attack with two devices refused is one incident; reset closes it with the operator; /link_status shows it to operators only", async () => {
  await withMemoryKms(async (kms) => {
    const operator = kms.enroll("Operator", { role: "operator" });
    const alpha = kms.enroll("Soldier_Alpha");
    const bravo = kms.enroll("Soldier_Bravo");
    const asOperator = { authorization: `Bearer ${operator}` };
    assertEquals(
      (await kms.post("/force_attack", {}, asOperator)).body.status,
      "RED",
    );
    for (let i = 0; i < 4; i++) await kms.source.emit();
    for (let i = 0; i < 3; i++) {
      for (
        const [device, token] of [["Soldier_Alpha", alpha], [
          "Soldier_Bravo",
          bravo,
        ]]
      ) {
        const refused = await kms.post("/get_session_key", {
          device_id: device,
          peer_id: "Soldier_Charlie",
        }, { authorization: `Bearer ${token}` });
        assertEquals(refused.body.status, "RED");
      }
    }
    const anonymous = await kms.get("/link_status");
    assertEquals(
      anonymous.body.incidents,
      undefined,
      "no names without a token",
    );
    assertEquals(anonymous.body.attacks_detected, 1);
    const during = await kms.get("/link_status", asOperator);
    const body: unknown = during.body;
    if (!isLinkStatusResponse(body)) throw new Error("not a link status");
    const open = body.incidents!.open!;
    assertEquals(
      [open.blocks, open.key_refusals, open.affected_devices, open.epoch],
      [5, 6, ["Soldier_Alpha", "Soldier_Bravo"], 1],
    );
    assertEquals((await kms.post("/reset", {}, asOperator)).status, 200);
    await kms.source.emit();
    const after = await kms.get("/link_status", asOperator);
    assertEquals(after.body.attacks_detected, 1, "one incident, not blocks");
    const { open: none, recent } = after.body.incidents as {
      open: null;
      recent: Incident[];
    };
    assertEquals(none, null);
    assertEquals(recent.length, 1);
    assertEquals(recent[0].closed_by, "Operator");
    assert(recent[0].peak_qber > 0.11);
    assertMatch(
      kms.kms.store.recentAudit(30).map((e) => e.tag).join(" "),
      /LINK_RED POOL_FLUSHED INCIDENT_OPENED .*INCIDENT_CLOSED RESET/,
    );
  });
});

Deno.test("POST /incidents/acknowledge: 200 with the incident and an audit row, 404 unknown, 400 bad, 401 without a token", async () => {
  await withMemoryKms(async (kms) => {
    const operator = kms.enroll("Operator", { role: "operator" });
    const device = kms.enroll("Soldier_Alpha");
    const asOperator = { authorization: `Bearer ${operator}` };
    await kms.post("/force_attack", {}, asOperator);
    const id = kms.kms.incidents.current!.id;
    const acknowledged = await kms.post(
      "/incidents/acknowledge",
      { incident_id: id },
      asOperator,
    );
    assertEquals(acknowledged.status, 200);
    assert(isIncident(acknowledged.body));
    assertEquals(acknowledged.body.acknowledged_by, "Operator");
    assertEquals(
      kms.kms.store.recentAudit(1)[0].message,
      `incident=${id} by=Operator`,
    );
    const state = await kms.get("/link_status", asOperator);
    assertEquals(
      (state.body.incidents as { open: Incident }).open.acknowledged_by,
      "Operator",
    );
    const unknown = await kms.post("/incidents/acknowledge", {
      incident_id: id + 1,
    }, asOperator);
    assertEquals([unknown.status, unknown.body.message], [
      404,
      `no incident ${id + 1}`,
    ]);
    for (const body of [{}, { incident_id: "1" }, { incident_id: 0 }, "[1]"]) {
      const bad = await kms.post("/incidents/acknowledge", body, asOperator);
      assertEquals(bad.status, 400, JSON.stringify(body));
      assertEquals(typeof bad.body.message, "string");
    }
    assertEquals(
      (await kms.post("/incidents/acknowledge", { incident_id: id })).status,
      401,
    );
    assertEquals(
      (await kms.post("/incidents/acknowledge", { incident_id: id }, {
        authorization: `Bearer ${device}`,
      })).status,
      403,
    );
  });
});

Deno.test("the event stream carries incident events and the state's incidents", async () => {
  await withMemoryKms(async (kms) => {
    await kms.post("/force_attack");
    const events = await kms.handle(new Request("http://kms/events"));
    const messages = events.body!.pipeThrough(new ServerSentEventParseStream())
      .getReader();
    const next = async () => {
      const { value } = await messages.read();
      return parseKmsEvent(value!.event!, value!.data!);
    };
    const state = await next();
    if (state?.event !== "state") {
      throw new Error("the stream starts with state");
    }
    assertEquals(state.data.incidents?.open?.closed_at, null);
    await kms.post("/reset");
    let closed;
    while (closed === undefined) {
      const event = await next();
      if (event?.event === "incident") closed = event.data;
    }
    assertEquals(closed.closed_by, "anonymous");
    await messages.cancel();
  }, { args: ["--open"] });
});
