/**
 * The analyst's views in a real browser (headless Chromium via
 * playwright-core): against a {@linkcode FakeKms} served over HTTP, which
 * holds exactly the incidents, history and audit rows a step needs; the
 * accessibility scan (axe-core, WCAG 2 AA) at desktop and phone widths, with
 * screenshots of both in test_artifacts/dashboard/. The same views against
 * real KMS and relay processes are in soc_incident_browser_test.ts.
 *
 * @module
 */

import { assertEquals } from "@std/assert";
import type { Browser } from "playwright-core";
import type { Incident } from "../protocol/incident.ts";
import type { LinkHistoryBlock } from "../protocol/soc_api.ts";
import {
  ARTIFACTS,
  assertAccessible,
  axeScan,
  banner,
  closeBrowser,
  haveChromium,
  launch,
  logInAs,
  newPage,
  shot,
} from "./_test_browser.ts";
import {
  startDashboard,
  type TestDashboard,
  type TestOperator,
  writeOperator,
} from "./_test_dashboard.ts";
import { FakeKms, type ServedFakeKms, serveFakeKms } from "./_test_fake_kms.ts";

const NOW = Date.now();

function block(at: number, qber: number, epoch: number): LinkHistoryBlock {
  return {
    at,
    qber,
    rolling_qber: qber,
    status: qber >= 0.11 ? "RED" : "GREEN",
    epoch,
    eve: qber >= 0.11 ? "intercept_resend" : "none",
    gains: [0.0102, 0.0041, 0.0000012],
    single_photon_lower: 640_000,
    secret_bits: qber >= 0.11 ? 0 : 300_000,
    count: 1,
  };
}

const INCIDENT: Incident = {
  id: 1,
  opened_at: NOW - 150_000,
  closed_at: null,
  peak_qber: 0.262,
  first_qber: 0.25,
  blocks: 30,
  key_refusals: 34,
  affected_devices: ["Soldier_Alpha", "Soldier_Bravo"],
  closed_by: null,
  acknowledged_by: null,
  acknowledged_at: null,
  epoch: 1,
};

Deno.test({
  name:
    "analyst views over a fake KMS: incident, timeline across a reset, alerting, audit search, accessible at desktop and phone widths",
  ignore: !haveChromium,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await Deno.mkdir(ARTIFACTS, { recursive: true });
    const fake = new FakeKms();
    fake.history = {
      epochs: [
        { epoch: 1, started_at: NOW - 3_600_000, reset_by: null },
      ],
      blocks: [
        ...[200, 180, 160].map((ago) => block(NOW - ago * 1000, 0.02, 1)),
        ...[140, 120, 100, 80].map((ago) => block(NOW - ago * 1000, 0.25, 1)),
      ],
    };
    fake.auditRows = [{
      id: 40,
      at: NOW - 60_000,
      tag: "KEY_REFUSED",
      message: "device=Soldier_Alpha peer=Soldier_Bravo status=RED",
      device: "Soldier_Alpha",
      count: 34,
      first_at: NOW - 150_000,
      last_at: NOW - 60_000,
    }, {
      id: 12,
      at: NOW - 150_000,
      tag: "LINK_RED",
      message: "rolling_qber=0.250",
      device: null,
      count: 1,
      first_at: NOW - 150_000,
      last_at: NOW - 150_000,
    }];
    fake.rooms = {
      rooms: [{
        room: "alpha-squad",
        epoch: 7,
        leader: "Soldier_Alpha",
        expected: 3,
        members: ["Soldier_Alpha", "Soldier_Bravo"],
        ready: false,
        membership: "signed-statement",
      }],
    };
    let served: ServedFakeKms | null = null;
    let dashboard: TestDashboard | null = null;
    let browser: Browser | null = null;
    let operator: TestOperator | null = null;
    const problems: string[] = [];
    try {
      served = serveFakeKms(fake);
      operator = await writeOperator();
      dashboard = await startDashboard(served.url, { operator });
      browser = await launch();
      const page = await newPage(browser, problems, {
        viewport: { width: 1280, height: 800 },
      });

      await t.step(
        "RED with an open incident: title, icon, list, acknowledge",
        async () => {
          await page.goto(dashboard!.url);
          await logInAs(page, operator!.name, operator!.token);
          await banner(page, "GREEN").waitFor();
          fake.linkStatus = { ...fake.linkStatus, status: "RED" };
          fake.emit("link", {
            status: "RED",
            qber: 0.25,
            rolling_qber: 0.25,
            eve: true,
            qubits: 1_000_000,
            time: new Date(NOW - 80_000).toISOString(),
          });
          fake.setIncident(INCIDENT);
          await banner(page, "RED").waitFor();
          await page.waitForFunction(() => document.title.includes("RED"));
          assertEquals(
            await page.locator('link[rel="icon"]').getAttribute("href"),
            "/favicon-red.svg",
          );
          assertEquals(
            await page.getByTestId("link-status").locator('[role="alert"]')
              .count(),
            1,
          );
          const row = page.locator(
            '[data-testid="incident-list"] tr[data-incident="1"]',
          );
          await row.getByText("26.2%").waitFor();
          await row.getByText("Soldier_Alpha, Soldier_Bravo").waitFor();
          const chart = page.locator('[data-testid="qber-chart"] canvas');
          await page.locator(
            '[data-testid="qber-chart"] canvas[data-spans="1"]',
          )
            .waitFor();
          assertEquals(Number(await chart.getAttribute("data-peak")), 25);
          await shot(page, "analyst_red");
          await page.getByTestId("acknowledge-open").click();
          await page.getByTestId("alert-center").getByText(
            "acknowledged by Operator",
          ).waitFor();
          await row.getByText("Operator at").waitFor();
        },
      );

      await t.step(
        "a reset closes it; the attack stays on the chart, the reset marked",
        async () => {
          fake.history = {
            epochs: [
              ...fake.history.epochs,
              { epoch: 2, started_at: NOW - 60_000, reset_by: "Operator" },
            ],
            blocks: [...fake.history.blocks, block(NOW - 50_000, 0.02, 2)],
          };
          fake.linkStatus = { ...fake.linkStatus, status: "GREEN" };
          fake.emit("reset", {
            status: "GREEN",
            time: new Date().toISOString(),
          });
          fake.setIncident({
            ...fake.linkStatus.incidents!.open!,
            closed_at: NOW - 60_000,
            closed_by: "Operator",
          });
          await banner(page, "GREEN").waitFor();
          await page.waitForFunction(() => !document.title.includes("RED"));
          await page.locator(
            '[data-testid="qber-chart"] canvas[data-epochs="1"]',
          )
            .waitFor();
          const chart = page.locator('[data-testid="qber-chart"] canvas');
          assertEquals(Number(await chart.getAttribute("data-peak")), 25);
          await page.getByTestId("window-24h").click();
          await page.locator('[data-testid="qber-chart"][data-window="24 h"]')
            .waitFor();
          assertEquals(
            await page.locator(
              '[data-testid="incident-list"] tr[data-incident]',
            )
              .count(),
            1,
          );
        },
      );

      await t.step(
        "the audit search collapses refusals and finds LINK_RED",
        async () => {
          const explorer = page.getByTestId("audit-explorer");
          await explorer.getByText("KEY_REFUSED ×34 from Soldier_Alpha")
            .waitFor();
          await page.getByLabel("Tag").fill("LINK_RED");
          await page.getByTestId("audit-search").click();
          await explorer.locator('tr[data-tag="LINK_RED"]').waitFor();
          assertEquals(
            await explorer.locator('tr[data-tag="KEY_REFUSED"]').count(),
            0,
          );
          assertEquals(
            await page.getByTestId("audit-csv").getAttribute("href"),
            "/api/audit?tag=LINK_RED&limit=50&collapse=1&format=csv",
          );
        },
      );

      await t.step(
        "the rooms panel lists the KMS's rooms, without their membership statement",
        async () => {
          const panel = page.getByTestId("rooms-panel");
          const room = panel.locator('tr[data-room="alpha-squad"]');
          await room.getByText("Soldier_Alpha, Soldier_Bravo (2/3)").waitFor();
          await room.getByText("waiting for members").waitFor();
          assertEquals(await room.locator("td").nth(2).innerText(), "7");
          assertEquals(
            (await page.content()).includes("signed-statement"),
            false,
          );
        },
      );

      await t.step("accessible at 1280×800, screenshot kept", async () => {
        await shot(page, "analyst_desktop");
        assertAccessible(await axeScan(page));
      });

      await t.step(
        "accessible at 390×844: controls near the top, screenshot kept",
        async () => {
          await page.setViewportSize({ width: 390, height: 844 });
          await page.reload();
          await banner(page, "GREEN").waitFor();
          const controls = await page.getByTestId("reset").boundingBox();
          assertEquals(controls !== null && controls.y < 2 * 844, true);
          await page.getByTestId("bb84-table").waitFor();
          assertEquals(
            await page.getByText("Swipe sideways").first().isVisible(),
            true,
          );
          await shot(page, "analyst_phone");
          assertAccessible(await axeScan(page));
          assertEquals(problems, []);
        },
      );
    } finally {
      await closeBrowser(browser);
      await dashboard?.process.stop();
      await served?.close();
      await operator?.remove();
    }
  },
});
