/**
 * The SOC view in a real browser: headless Chromium (driven by
 * playwright-core) against real KMS and dashboard processes, the operator
 * enrolled at the KMS and logging in through the page. Screenshots of
 * each state go to test_artifacts/dashboard/.
 *
 * @module
 */

import { assertEquals } from "@std/assert";
import type { Browser, Page } from "playwright-core";
import { PROJECT_ROOT } from "../common/service_process.ts";
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
} from "./_test_dashboard.ts";
import { waitFor } from "./_test_fake_kms.ts";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = `${PROJECT_ROOT}test_artifacts/dashboard`;
// Generous for a loaded two-core machine; the 2 s deadline below is the
// requirement itself.
const WAIT_MS = 15_000;

const haveChromium = await Deno.stat(CHROMIUM).then(() => true, () => false);
if (!haveChromium) {
  const reason =
    `${CHROMIUM} is missing (.ci/run installs the Debian package chromium)`;
  if (Deno.env.get("CI") === "true") {
    throw new Error(`dashboard browser tests cannot run: ${reason}`);
  }
  console.warn(
    `\n*** SKIPPING the dashboard browser tests: ${reason} ***\n`,
  );
}

async function launch(): Promise<Browser> {
  // playwright-core probes /proc/sys/fs/binfmt_misc/WSLInterop as it loads
  // (its bundled is-wsl), and Deno lets only --allow-all read there, which
  // -P=test is not. is-wsl's own hook defers that probe; its answer matters
  // only for opening URLs in a desktop browser, which the tests never do.
  Deno.env.set("__IS_WSL_TEST__", "1");
  const { chromium } = await import("playwright-core");
  return await chromium.launch({
    executablePath: CHROMIUM,
    // Without the background-networking flags Chromium keeps calling home,
    // which floods a closed network.
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${ARTIFACTS}/${name}.png`, fullPage: true });
}

function banner(page: Page, status: string) {
  return page.locator(`[data-testid="link-status"][data-status="${status}"]`);
}

async function logInAs(page: Page, name: string, token: string) {
  await page.getByLabel("Operator name").fill(name);
  await page.getByLabel("Token").fill(token);
  await page.getByTestId("login").click();
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
      const page = await browser.newPage({
        viewport: { width: 1400, height: 1000 },
      });
      page.setDefaultTimeout(WAIT_MS);
      page.on("pageerror", (error) => problems.push(`page: ${error.message}`));
      page.on("console", (message) => {
        // The refused login and the refused POST below log their 401/403.
        if (
          message.type() === "error" &&
          !/status of 40[13]/.test(message.text())
        ) {
          problems.push(`console: ${message.text()}`);
        }
      });
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
        "logs in, loads GREEN and follows BB84 runs without a reload",
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
          await page.locator("canvas[data-points]").waitFor();
          assertEquals(await chart.getAttribute("data-points"), "0");
          await kms.post("/get_session_key", {
            device_id: "Soldier_Alpha",
            peer_id: "Soldier_Bravo",
          }, { authorization: `Bearer ${alphaToken}` });
          await page.locator('canvas[data-points="1"]').waitFor();
          await page.getByTestId("keys-issued").filter({ hasText: "1" })
            .waitFor();
          await page.getByTestId("audit-log").getByText("KEY_ISSUED").waitFor();
          await page.getByText("router guard not seen").waitFor();
          await shot(page, "green");
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
        await waitFor(
          async () =>
            Number(await chart.getAttribute("data-last")) > 11 &&
            Number(await chart.getAttribute("data-points")) >= 2,
          "a chart point above 11%",
          WAIT_MS,
        );
        await page.getByTestId("attacks-detected").filter({ hasNotText: /^0$/ })
          .waitFor();
        await page.getByTestId("action-result").getByText("link RED").waitFor();
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
