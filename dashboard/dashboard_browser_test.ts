/**
 * The SOC view in a real browser: headless Chromium (driven by
 * playwright-core) against real KMS and dashboard processes, the operator
 * enrolled at the KMS and logging in through the page; and the simulated
 * link's panels against a {@linkcode FakeKms} served over HTTP, which sends
 * exactly the blocks a step needs. Screenshots of each state go to
 * test_artifacts/dashboard/.
 *
 * @module
 */

import { assertEquals } from "@std/assert";
import type { Browser, Page } from "playwright-core";
import type { LinkReport } from "../protocol/link_report.ts";
import {
  enroll,
  removeDataDir,
  startKms,
  type TestKms,
} from "../kms/_test_kms.ts";
import {
  enrollOperator,
  startDashboard,
  type TestDashboard,
  type TestOperator,
  writeOperator,
} from "./_test_dashboard.ts";
import { FakeKms, type ServedFakeKms, serveFakeKms } from "./_test_fake_kms.ts";
import { waitUntil } from "../testing/wait.ts";
import {
  ARTIFACTS,
  banner,
  haveChromium,
  launch,
  logInAs,
  newPage,
  shot,
  WAIT_MS,
} from "./_test_browser.ts";

/** The ISO time of a chart's newest point ("" for none or untimed). */
async function lastTime(page: Page, chart: string): Promise<string> {
  return await page.locator(`[data-testid="${chart}"] canvas`)
    .getAttribute("data-last-time") ?? "";
}

/** A number the chart islands write on their canvas, 0 when absent. */
async function canvasNumber(page: Page, chart: string, name: string) {
  const value = await page.locator(`[data-testid="${chart}"] canvas`)
    .getAttribute(`data-${name}`);
  return Number(value ?? 0);
}

Deno.test({
  name:
    "SOC view: login, GREEN, Force Attack → RED, CSRF refused, Reset confirmed, KMS down and back, logout",
  ignore: !haveChromium,
  // playwright-core keeps its connection's timers and pipes to itself.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await Deno.mkdir(ARTIFACTS, { recursive: true });
    // Secure, as shipped: the operator's token is what makes Force Attack work.
    let kms: TestKms = await startKms({ open: false });
    let dashboard: TestDashboard | null = null;
    let browser: Browser | null = null;
    let operator: TestOperator | null = null;
    const problems: string[] = [];
    try {
      operator = await enrollOperator(kms.dataDir);
      const alphaToken = await enroll(kms.dataDir, "Soldier_Alpha");
      dashboard = await startDashboard(kms.url, { operator });
      browser = await launch();
      const page = await newPage(browser, problems);
      const chart = page.locator('[data-testid="qber-chart"] canvas');

      await t.step(
        "without a session: the login; a wrong token is refused",
        async () => {
          await page.goto(dashboard!.url);
          await page.getByLabel("Operator name").waitFor();
          assertEquals(new URL(page.url()).pathname, "/login");
          assertEquals(await page.getByTestId("link-status").count(), 0);
          await logInAs(page, "Operator", "not-the-operator-token-000");
          await page.getByTestId("login-error").getByText(
            "Wrong operator name or token.",
          ).waitFor();
          await shot(page, "login_refused");
        },
      );

      await t.step(
        "logs in, loads GREEN and follows the link's blocks without a reload",
        async () => {
          await logInAs(page, operator!.name, operator!.token);
          await banner(page, "GREEN").waitFor();
          const [cookie] = await page.context().cookies();
          assertEquals(
            [cookie.name, cookie.httpOnly, cookie.sameSite, cookie.path],
            ["qstcs_session", true, "Strict", "/"],
          );
          assertEquals(
            await page.evaluate(() => document.cookie),
            "",
            "scripts cannot read the session",
          );
          // The chart island marks its canvas once chart.js holds the data.
          await page.locator('[data-testid="qber-chart"] canvas[data-points]')
            .waitFor();
          // A KMS that runs its link continuously adds points by itself (up
          // to the chart's 60), and one that runs BB84 per request adds one
          // for the key below: either way a newer point comes.
          const before = await lastTime(page, "qber-chart");
          // Keys come from the link's pool: the first block must have filled it.
          await waitUntil(
            async () => {
              const { link } = (await kms.get("/link_status")).body as {
                link?: LinkReport;
              };
              return (link?.pool_bits ?? 0) > 0;
            },
            "key in the pool",
            { timeoutMs: WAIT_MS },
          );
          await kms.post("/get_session_key", {
            device_id: "Soldier_Alpha",
            peer_id: "Soldier_Bravo",
          }, { authorization: `Bearer ${alphaToken}` });
          await waitUntil(
            async () => await lastTime(page, "qber-chart") > before,
            "a new QBER point",
            { timeoutMs: WAIT_MS },
          );
          await page.getByTestId("keys-issued").filter({ hasText: "1" })
            .waitFor();
          await page.getByTestId("audit-log").getByText("KEY_ISSUED").waitFor();
          await page.getByText("router guard not seen").waitFor();
          await shot(page, "green");
        },
      );

      await t.step(
        "the simulated link's panels follow the running link",
        async () => {
          await page.getByTestId("link-settings").getByText("Fibre length")
            .waitFor();
          await page.getByText("classical simulation of a decoy-state BB84")
            .waitFor();
          await page.locator(
            '[data-testid="key-rate-chart"] canvas[data-points]',
          ).waitFor();
          const before = await lastTime(page, "key-rate-chart");
          await waitUntil(
            async () => await lastTime(page, "key-rate-chart") > before,
            "the key-rate chart gaining points as blocks arrive",
            { timeoutMs: WAIT_MS },
          );
          assertEquals(
            await canvasNumber(page, "key-rate-chart", "points") >= 2,
            true,
          );
          assertEquals(
            await canvasNumber(page, "distance-chart", "curve-points") > 10,
            true,
            "the key-rate-vs-distance curve is drawn",
          );
          await page.getByTestId("block-outcome").waitFor();
          assertEquals(
            await page.getByTestId("simulated-attack").count(),
            0,
            "no simulated attack before Force Attack",
          );
          await page.getByTestId("quantum-link").screenshot({
            path: `${ARTIFACTS}/link_real_kms.png`,
          });
        },
      );

      await t.step(
        "a POST with a wrong CSRF token is refused and changes nothing",
        async () => {
          await page.getByTestId("force-attack").click();
          await page.locator(
            'form[action="/api/force_attack"] input[name="csrf"]',
          )
            .evaluate((input: HTMLInputElement) => input.value = "forged");
          await page.getByTestId("confirm-force-attack").click();
          await page.getByTestId("action-result").getByText(
            "missing or wrong CSRF token",
          ).waitFor();
          assertEquals(
            (await kms.get("/link_status")).body.status,
            "GREEN",
          );
          await shot(page, "csrf_refused");
          // A fresh page has the session's real token again.
          await page.reload();
          await banner(page, "GREEN").waitFor();
        },
      );

      await t.step("Force Attack turns the view RED within 2 s", async () => {
        await page.getByTestId("force-attack").click();
        await page.getByTestId("confirm-force-attack").click();
        await banner(page, "RED").waitFor({ timeout: 2_000 });
        await waitUntil(
          async () =>
            Number(await chart.getAttribute("data-last")) > 11 &&
            Number(await chart.getAttribute("data-points")) >= 2,
          "a chart point above 11%",
          { timeoutMs: WAIT_MS },
        );
        await page.getByTestId("attacks-detected").filter({ hasNotText: /^0$/ })
          .waitFor();
        await page.getByTestId("action-result").getByText("link RED").waitFor();
        // The operator switched the demo's attack on: it shows, labelled so,
        // and the link's blocks stop giving key.
        await page.getByTestId("simulated-attack").getByText("Demo:").waitFor();
        await waitUntil(
          async () =>
            ["qber_above_threshold", "discarded"].includes(
              await page.getByTestId("quantum-link").getAttribute(
                "data-outcome",
              ) ?? "",
            ),
          "a block without key under attack",
          { timeoutMs: WAIT_MS },
        );
        // The router guard polls with BusyBox wget: then it shows as alive
        // and, the link being RED, enforcing BLOCKED.
        await kms.get("/link_status", { "user-agent": "Wget" });
        await page.locator('[data-testid="router-status"][data-guard="alive"]')
          .getByText("Chat BLOCKED").waitFor();
        await shot(page, "red");
      });

      await t.step(
        "Reset asks first; confirmed, GREEN comes back",
        async () => {
          await page.getByTestId("reset").click();
          const confirm = page.getByTestId("confirm-reset");
          await confirm.waitFor();
          await shot(page, "reset_confirm");
          // Opening the question did nothing yet; Cancel closes it.
          assertEquals((await kms.get("/link_status")).body.status, "RED");
          await page.locator('form[action="/api/reset"]').getByRole("button", {
            name: "Cancel",
          }).click();
          await confirm.waitFor({ state: "hidden" });
          assertEquals((await kms.get("/link_status")).body.status, "RED");
          await page.getByTestId("reset").click();
          await confirm.click();
          await banner(page, "GREEN").waitFor();
          await page.getByTestId("router-status").getByText("Chat ALLOWED")
            .waitFor();
          await page.getByTestId("simulated-attack").waitFor({
            state: "detached",
          });
          await shot(page, "reset");
        },
      );

      await t.step("the BB84 explainer runs 32 qubits with Eve", async () => {
        const explainer = page.getByTestId("bb84-explainer");
        await explainer.locator("select").selectOption("32");
        await explainer.getByLabel(/Eve intercepts/).check();
        await page.getByTestId("bb84-run").click();
        await page.getByTestId("bb84-summary").getByText(
          "Eve was on the channel",
        ).waitFor();
        assertEquals(
          await page.getByTestId("bb84-table").locator("thead th").count(),
          33,
        );
        await explainer.screenshot({ path: `${ARTIFACTS}/bb84.png` });
      });

      await t.step(
        "KMS stopped: unreachable; restarted: live again",
        async () => {
          await kms.stop();
          await banner(page, "unreachable").getByText("KMS unreachable")
            .waitFor();
          await shot(page, "kms_unreachable");
          kms = await startKms({
            port: Number(new URL(kms.url).port),
            dataDir: kms.dataDir,
            open: false,
          });
          await banner(page, "GREEN").waitFor();
          await shot(page, "kms_recovered");
        },
      );

      await t.step(
        "no key material, no token and no script errors on the page",
        async () => {
          const text = await page.locator("body").innerText();
          assertEquals(/[0-9a-f]{64}/i.test(text), false);
          assertEquals((await page.content()).includes(operator!.token), false);
          assertEquals(problems, []);
        },
      );

      await t.step("logout ends the session: back to the login", async () => {
        await page.getByTestId("logout").click();
        await page.getByLabel("Operator name").waitFor();
        assertEquals(await page.context().cookies(), []);
        await page.goto(dashboard!.url);
        await page.getByLabel("Token").waitFor();
        assertEquals(new URL(page.url()).pathname, "/login");
        await shot(page, "logged_out");
      });
    } finally {
      await browser?.close();
      await dashboard?.process.stop();
      await kms.stop();
      await removeDataDir(kms.dataDir);
      await operator?.remove();
    }
  },
});

Deno.test({
  name:
    "the simulated link's panels: settings, outcome in words, key rate and pool over time, the distance curve, PNS, a flush, by keyboard",
  ignore: !haveChromium,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await Deno.mkdir(ARTIFACTS, { recursive: true });
    const fake = new FakeKms();
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
      const page = await newPage(browser, problems);
      const link = page.getByTestId("quantum-link");
      const points = () => canvasNumber(page, "key-rate-chart", "points");

      await t.step("the panels render the KMS's link report", async () => {
        await page.goto(dashboard!.url);
        await logInAs(page, operator!.name, operator!.token);
        await banner(page, "GREEN").waitFor();
        const settings = page.getByTestId("link-settings");
        await settings.getByText("classical simulation").waitFor();
        for (
          const [label, value] of [
            ["Fibre length", "25 km"],
            ["Detector efficiency", "10.0%"],
            ["Dark counts", "6×10⁻⁷ per pulse"],
            ["Intensities μ / ν / ω", "0.5 / 0.2 / 2×10⁻⁴"],
            ["Pulse rate", "1 GHz"],
            ["Block size n_X", "1,000,000 detections"],
          ]
        ) {
          assertEquals(
            await settings.locator("div", { hasText: label }).locator("dd")
              .innerText(),
            value,
          );
        }
        await page.getByTestId("block-outcome").getByText(
          "Key: 320,960 secret bits to the pool",
        ).waitFor();
        await page.getByTestId("key-rate").getByText("1.04 Mbit/s").waitFor();
        await page.locator('[data-testid="key-rate-chart"] canvas[data-points]')
          .waitFor();
        assertEquals(await points(), 1);
        assertEquals(
          await canvasNumber(page, "distance-chart", "curve-points"),
          61,
        );
        assertEquals(
          await canvasNumber(page, "distance-chart", "point-rate"),
          1_038_000,
        );
        assertEquals(
          await canvasNumber(page, "distance-chart", "point-km"),
          25,
        );
        await page.getByTestId("distance-summary").getByText(
          "the running link measured 1.04 Mbit/s at 25 km",
        ).waitFor();
        await shot(page, "link_panels");
      });

      await t.step(
        "the key-rate chart gains points as blocks arrive",
        async () => {
          fake.finishBlock();
          fake.finishBlock({ secret_bits: 160_000 });
          await waitUntil(async () => await points() === 3, "3 points", {
            timeoutMs: WAIT_MS,
          });
          await link.and(page.locator('[data-blocks="9"]')).waitFor();
          assertEquals(
            await canvasNumber(page, "key-rate-chart", "last-rate"),
            Math.round(160_000 / 0.309),
          );
          fake.changePool("taken", 4096);
          await waitUntil(
            async () => await points() === 4,
            "a pool point",
            { timeoutMs: WAIT_MS },
          );
        },
      );

      await t.step(
        "PNS: a normal QBER, fewer single photons, a smaller key, then none; the operator's attack labelled as the demo's",
        async () => {
          // As the engine's PNS block of 10^6 detections on the demo link.
          fake.finishBlock({
            eve: "pns",
            qber: 0.0202,
            duration_s: 0.357,
            secret_bits: 29_056,
            decoy: {
              vacuum_detections_lower: 1100,
              single_photon_detections_lower: 312_325,
              phase_error_upper: 0.088,
            },
          });
          await page.getByTestId("block-outcome").getByText(
            "Key, smaller: 29,056 secret bits to the pool. PNS suspected: QBER 2.0% looks normal but the decoy estimate of single-photon detections fell to 312,325 (49% of the 642,972 an honest link gives at these settings)",
          ).waitFor();
          await page.getByTestId("decoy-estimates").getByText(
            "s_X,1 ≥ 642,972 · φ_X ≤ 4.5%",
          ).waitFor();
          await shot(page, "link_pns_key");
          fake.finishBlock({
            outcome: "insufficient_secret_bits",
            message: "the single-photon bound s_X,1 is 0",
            eve: "pns",
            decoy: {
              vacuum_detections_lower: 900,
              single_photon_detections_lower: 0,
              phase_error_upper: 0.5,
            },
          });
          await page.getByTestId("block-outcome").getByText(
            "PNS suspected: QBER 2.0% looks normal but the decoy estimate of single-photon detections fell to 0 (0% of the 642,972 an honest link gives at these settings): no key.",
          ).waitFor();
          await page.getByTestId("simulated-attack").getByText(
            "photon-number splitting (PNS)",
          ).waitFor();
          await page.getByTestId("decoy-estimates").getByText(
            "0 (0.0% of n_X)",
          ).waitFor();
          await page.getByTestId("distance-summary").getByText(
            "not drawn on the log scale",
          ).waitFor();
          assertEquals(
            await canvasNumber(page, "key-rate-chart", "last-rate"),
            0,
          );
          await shot(page, "link_pns");
        },
      );

      await t.step("a flush empties the pool on the chart", async () => {
        fake.changePool("flushed", 0);
        await page.getByTestId("pool-flushed").waitFor();
        await waitUntil(
          async () =>
            await canvasNumber(page, "key-rate-chart", "last-pool") === 0 &&
            await points() === 7,
          "the pool at 0%",
          { timeoutMs: WAIT_MS },
        );
        await page.getByTestId("pool-level").getByText("0 bit").waitFor();
      });

      await t.step("the curve's points open from the keyboard", async () => {
        const summary = page.getByText("The curve's points");
        await summary.focus();
        await page.keyboard.press("Enter");
        const table = page.getByTestId("curve-table");
        await table.waitFor();
        assertEquals(await table.locator("tbody tr").count(), 61);
        assertEquals(
          await table.locator("tbody tr").first().locator("td").first()
            .innerText(),
          "0",
        );
        // Every chart has a text alternative.
        for (const chart of ["key-rate-chart", "distance-chart"]) {
          const label = await page.locator(`[data-testid="${chart}"] canvas`)
            .getAttribute("aria-label");
          assertEquals(/simulated/i.test(label ?? ""), true, chart);
        }
        await page.getByTestId("distance-chart").screenshot({
          path: `${ARTIFACTS}/link_distance.png`,
        });
      });

      await t.step("a resubscribe keeps the series", async () => {
        const held = await points();
        await page.reload();
        await page.locator('[data-testid="key-rate-chart"] canvas[data-points]')
          .waitFor();
        assertEquals(await points(), held);
        assertEquals(problems, []);
      });
    } finally {
      await browser?.close();
      await dashboard?.process.stop();
      await served?.close();
      await operator?.remove();
    }
  },
});
