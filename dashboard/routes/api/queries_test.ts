import { assertEquals, assertStringIncludes } from "@std/assert";
import { FakeKms } from "../../_test_fake_kms.ts";
import { TEST_OPERATOR, TEST_ORIGIN, testSite } from "../../_test_site.ts";
import type { Incident } from "../../../protocol/incident.ts";

const ROW = {
  id: 9,
  at: Date.parse("2026-02-23T18:04:00Z"),
  tag: "KEY_REFUSED",
  message: `device=Soldier_Alpha stray=${"ab".repeat(20)}`,
  device: "Soldier_Alpha",
  count: 34,
  first_at: Date.parse("2026-02-23T18:02:00Z"),
  last_at: Date.parse("2026-02-23T18:04:00Z"),
};

const INCIDENT: Incident = {
  id: 1,
  opened_at: 1_000,
  closed_at: null,
  peak_qber: 0.26,
  first_qber: 0.25,
  blocks: 3,
  key_refusals: 34,
  affected_devices: ["Soldier_Alpha"],
  closed_by: null,
  acknowledged_by: null,
  acknowledged_at: null,
  epoch: 1,
};

Deno.test("GET /api/audit, /api/history and /api/devices need a session", async () => {
  const kms = new FakeKms();
  const site = testSite(kms);
  for (const path of ["/api/audit", "/api/history", "/api/devices"]) {
    const response = await site.handle(path);
    assertEquals(response.status, 401, path);
    await response.body?.cancel();
  }
  assertEquals(kms.queries, []);
  await site.monitor.close();
});

Deno.test("GET /api/audit asks the KMS with the operator's token, refuses what the KMS would and redacts hex", async () => {
  const kms = new FakeKms();
  kms.auditRows = [ROW];
  const site = testSite(kms);
  const { cookie } = await site.login();
  const refused = await site.handle("/api/audit?tag=KEY_REFUSED&token=x", {
    headers: { cookie },
  });
  assertEquals(refused.status, 400);
  assertStringIncludes((await refused.json()).message, "unknown parameter");
  assertEquals(kms.queries, []);
  const response = await site.handle(
    "/api/audit?tag=KEY_REFUSED&collapse=1&limit=50",
    { headers: { cookie } },
  );
  assertEquals(response.status, 200);
  const body = await response.json();
  assertEquals(body.rows[0].message, "device=Soldier_Alpha stray=[redacted]");
  assertEquals(body.rows[0].count, 34);
  assertEquals(kms.queries, ["?tag=KEY_REFUSED&limit=50&collapse=1"]);
  const csv = await site.handle("/api/audit?format=csv", {
    headers: { cookie },
  });
  assertEquals(
    csv.headers.get("content-disposition"),
    'attachment; filename="qstcs_audit.csv"',
  );
  const text = await csv.text();
  assertStringIncludes(text, "KEY_REFUSED");
  assertEquals(text.includes("abab"), false);
  assertEquals(text.includes(TEST_OPERATOR.token), false);
  const json = await site.handle("/api/audit?format=json&download=1", {
    headers: { cookie },
  });
  assertEquals(
    json.headers.get("content-disposition"),
    'attachment; filename="qstcs_audit.json"',
  );
  assertEquals((await json.json()).rows.length, 1);
  await site.monitor.close();
});

Deno.test("GET /api/history passes the window on, and refuses a bad one", async () => {
  const kms = new FakeKms();
  const site = testSite(kms);
  const { cookie } = await site.login();
  const bad = await site.handle("/api/history?since=9&until=1", {
    headers: { cookie },
  });
  assertEquals(bad.status, 400);
  await bad.body?.cancel();
  const response = await site.handle("/api/history?since=5&max=600", {
    headers: { cookie },
  });
  assertEquals(await response.json(), kms.history);
  assertEquals(kms.queries, ["?since=5&max=600"]);
  await site.monitor.close();
});

Deno.test("POST /api/acknowledge goes to the KMS with the operator's token and is logged", async () => {
  const kms = new FakeKms();
  kms.setIncident(INCIDENT);
  const site = testSite(kms);
  const session = await site.login();
  const acknowledge = (incident: string) =>
    site.handle("/api/acknowledge", {
      method: "POST",
      headers: {
        accept: "application/json",
        origin: TEST_ORIGIN,
        cookie: session.cookie,
        "x-csrf-token": session.csrf,
      },
      body: new URLSearchParams({ incident_id: incident }),
    });
  const response = await acknowledge("1");
  assertEquals(response.status, 200);
  assertEquals((await response.json()).acknowledged_by, "Operator");
  assertEquals(kms.actionAuthorizations, [`Bearer ${TEST_OPERATOR.token}`]);
  assertEquals(
    site.logs.some((line) =>
      line.startsWith("operator action acknowledge incident 1 by Operator")
    ),
    true,
  );
  const missing = await acknowledge("7");
  assertEquals(missing.status, 404);
  assertEquals((await missing.json()).message, "no such incident");
  const bad = await acknowledge("x");
  assertEquals(bad.status, 400);
  await bad.body?.cancel();
  await site.monitor.close();
});

Deno.test("GET /api/devices: 404 without a relay; the relay's report, checked, with its admin token", async () => {
  const kms = new FakeKms();
  const none = testSite(kms);
  const first = await none.login();
  const missing = await none.handle("/api/devices", {
    headers: { cookie: first.cookie },
  });
  assertEquals(missing.status, 404);
  await missing.body?.cancel();
  await none.monitor.close();
  const seen: (string | null)[] = [];
  const report = {
    devices: [{
      device_id: "Soldier_Alpha",
      connected_since: 1,
      queued_frames: 2,
      queued_bytes: 300,
      sent: 4,
      dropped: 1,
      secret: "never passed on",
    }],
    queued_frames: 2,
    queued_bytes: 300,
    drops: { expired: 1 },
  };
  const site = testSite(kms, {
    relay: {
      relayUrl: "http://relay.test",
      relayToken: "relay-admin-0123456789",
      fetch: (input, init) => {
        const url = String(input);
        if (!url.startsWith("http://relay.test")) return kms.fetch(input, init);
        seen.push(new Headers(init?.headers).get("authorization"));
        return Promise.resolve(Response.json(report));
      },
    },
  });
  const { cookie } = await site.login();
  const response = await site.handle("/api/devices", { headers: { cookie } });
  const body = await response.json();
  assertEquals(body.devices[0].secret, undefined);
  assertEquals(body.devices[0].queued_frames, 2);
  assertEquals(seen, ["Bearer relay-admin-0123456789"]);
  await site.monitor.close();
});

Deno.test("GET /api/rooms says a KMS has none (before issue 17), else passes on each room's name, epoch, leader, seats, members and readiness only", async () => {
  const kms = new FakeKms();
  const site = testSite(kms);
  const { cookie } = await site.login();
  const missing = await site.handle("/api/rooms", { headers: { cookie } });
  assertEquals(await missing.json(), { rooms: [], supported: false });
  const room = {
    room: "alpha-squad",
    epoch: 3,
    leader: "Soldier_Alpha",
    expected: 2,
    members: ["Soldier_Alpha", "Soldier_Bravo"],
    ready: true,
  };
  kms.rooms = { rooms: [{ ...room, membership: "signed-statement" }] };
  const response = await site.handle("/api/rooms", { headers: { cookie } });
  assertEquals(await response.json(), { rooms: [room] });
  await site.monitor.close();
});
