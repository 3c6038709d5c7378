/**
 * One incident as a SOC analyst watches it, in a real browser (headless
 * Chromium via playwright-core) against real KMS, relay and dashboard
 * processes: two devices registered at the relay with their KMS tickets,
 * Force Attack, both devices retrying for keys for 20 s, Acknowledge, Reset;
 * then the incident list, the chart across the reset, the audit search, the
 * network view, the title, and an axe-core scan at desktop and phone widths
 * (screenshots in test_artifacts/dashboard/).
 *
 * @module
 */

import { assert, assertEquals } from "@std/assert";
import type { Browser } from "playwright-core";
import { PROJECT_ROOT } from "../common/service_process.ts";
import { generateIdentity, publicKeyText } from "../protocol/identity.ts";
import {
  enroll,
  removeDataDir,
  startKms,
  type TestKms,
} from "../kms/_test_kms.ts";
import {
  startRelay,
  TestClient,
  type TestRelay,
} from "../relay/_test_relay.ts";
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
  WAIT_MS,
} from "./_test_browser.ts";
import {
  enrollOperator,
  startDashboard,
  type TestDashboard,
  type TestOperator,
  writeRelayToken,
} from "./_test_dashboard.ts";
import { waitUntil } from "../testing/wait.ts";

const DEVICES = ["Soldier_Alpha", "Soldier_Bravo"] as const;
// How long the two devices keep asking for keys while the link is RED.
const RETRY_MS = 20_000;

/** A device registered at the relay with its KMS ticket. */
async function registerAtRelay(
  kms: TestKms,
  relay: TestRelay,
  device: { id: string; token: string },
): Promise<TestClient> {
  const identity = await generateIdentity();
  const issued = await kms.post("/relay_ticket", {
    device_id: device.id,
    public_key: publicKeyText(identity.publicKey),
  }, { authorization: `Bearer ${device.token}` });
  assertEquals(issued.status, 200, issued.text);
  const client = await TestClient.connect(relay.url);
  await client.register(device.id, {
    ticket: issued.body.ticket,
    identity,
  });
  return client;
}

/** Keeps asking for a key as a client does, until `until`; the refusals. */
async function retryKeys(
  kms: TestKms,
  device: { id: string; token: string; peer: string },
  until: number,
): Promise<number> {
  let refused = 0;
  while (Date.now() < until) {
    const answer = await kms.post("/get_session_key", {
      device_id: device.id,
      peer_id: device.peer,
    }, { authorization: `Bearer ${device.token}` });
    // The seeds' clients read a refusal from the body (`error`), not the status.
    if (answer.status !== 200 || answer.body.error !== undefined) refused++;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return refused;
}

Deno.test({
  name:
    "one attack with two devices retrying, acknowledged and reset: one incident, the attack kept on the chart, refusals collapsed, LINK_RED found, the title, the relay's devices, accessible",
  ignore: !haveChromium,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await Deno.mkdir(ARTIFACTS, { recursive: true });
    const kms = await startKms({ open: false });
    const relayToken = await writeRelayToken();
    let relay: TestRelay | null = null;
    let dashboard: TestDashboard | null = null;
    let browser: Browser | null = null;
    let operator: TestOperator | null = null;
    const clients: TestClient[] = [];
    const problems: string[] = [];
    try {
      operator = await enrollOperator(kms.dataDir);
      const tokens = await Promise.all(
        DEVICES.map((id) => enroll(kms.dataDir, id)),
      );
      const devices = DEVICES.map((id, i) => ({
        id,
        token: tokens[i],
        peer: DEVICES[1 - i],
      }));
      const ticketKey = `${kms.dataDir}/ticket_key.pub`;
      relay = await startRelay({
        open: false,
        args: [
          "--ticket-key",
          ticketKey,
          "--admin-token-file",
          relayToken.file,
        ],
        read: [
          `${PROJECT_ROOT}${ticketKey}`,
          `${PROJECT_ROOT}${relayToken.file}`,
        ],
      });
      dashboard = await startDashboard(kms.url, {
        operator,
        relay: {
          url: `http://127.0.0.1:${relay.port}`,
          tokenFile: relayToken.file,
        },
      });
      browser = await launch();
      const page = await newPage(browser, problems, {
        viewport: { width: 1280, height: 800 },
      });
      const chart = page.locator('[data-testid="qber-chart"] canvas');

      await t.step(
        "the network view shows both devices from the real relay",
        async () => {
          for (const device of devices) {
            clients.push(await registerAtRelay(kms, relay!, device));
          }
          // Three chat frames for a device that is offline wait in its queue.
          for (const id of ["m-1", "m-2", "m-3"]) {
            clients[0].send({
              type: "chat",
              sender: "Soldier_Alpha",
              recipient: "Soldier_Charlie",
              nonce: "11".repeat(12),
              ciphertext: "5ec7e7",
              id,
            });
          }
          await page.goto(dashboard!.url);
          await logInAs(page, operator!.name, operator!.token);
          await banner(page, "GREEN").waitFor();
          const network = page.getByTestId("network-view");
          await network.and(page.locator('[data-devices="2"]')).waitFor();
          for (const id of DEVICES) {
            await network.locator(`tr[data-device="${id}"]`).waitFor();
          }
          await network.getByTestId("relay-totals").getByText(
            "3 frames queued",
          ).waitFor();
          const alpha = network.locator('tr[data-device="Soldier_Alpha"] td');
          assertEquals(await alpha.nth(1).innerText(), "0"); // queued for Alpha
          assertEquals(await alpha.nth(3).innerText(), "3"); // sent by Alpha
          assertEquals(await page.title(), "QSTCS · Security Operations");
        },
      );

      await t.step("Force Attack: RED, the title and icon say so", async () => {
        await page.getByTestId("force-attack").click();
        await page.getByTestId("confirm-force-attack").click();
        await banner(page, "RED").waitFor();
        await page.waitForFunction(() => document.title.startsWith("● RED"));
        assertEquals(
          await page.locator('link[rel="icon"]').getAttribute("href"),
          "/favicon-red.svg",
        );
        await page.locator('[data-testid="incident-list"] tr[data-open="true"]')
          .waitFor();
      });

      await t.step(
        "two devices retry for 20 s; Acknowledge writes an audit row",
        async () => {
          const until = Date.now() + RETRY_MS;
          const refused = await Promise.all(
            devices.map((device) => retryKeys(kms, device, until)),
          );
          assert(refused.every((n) => n > 5), `refusals: ${refused}`);
          await page.getByTestId("acknowledge-open").click();
          await page.getByTestId("alert-center").getByText(
            "acknowledged by Operator",
          ).waitFor();
          const audit = await kms.get("/audit?tag=ALERT_ACKNOWLEDGED", {
            authorization: `Bearer ${operator!.token}`,
          });
          const rows = audit.body.rows as { message: string }[];
          assertEquals(rows.length, 1);
          assert(rows[0].message.includes("by=Operator"), rows[0].message);
          await shot(page, "incident_red");
        },
      );

      await t.step(
        "Reset: GREEN, the title back, exactly one incident with its figures",
        async () => {
          await page.getByTestId("reset").click();
          await page.getByTestId("confirm-reset").click();
          await banner(page, "GREEN").waitFor();
          await page.waitForFunction(() =>
            document.title === "QSTCS · Security Operations"
          );
          const list = page.getByTestId("incident-list");
          await list.locator('tr[data-open="false"]').waitFor();
          assertEquals(await list.locator("tr[data-incident]").count(), 1);
          const cells = list.locator("tr[data-incident] td");
          assert(/\d\d:\d\d:\d\dZ/.test(await cells.nth(0).innerText())); // start
          assert(/\d\d:\d\d:\d\dZ/.test(await cells.nth(1).innerText())); // end
          const peak = Number(
            (await cells.nth(2).innerText()).replace("%", ""),
          );
          assert(peak >= 11, `peak ${peak}%`);
          assert(Number(await cells.nth(4).innerText()) > 5, "key refusals");
          assertEquals(
            await cells.nth(5).innerText(),
            "Soldier_Alpha, Soldier_Bravo",
          );
          assertEquals(await cells.nth(6).innerText(), "Operator"); // closed by
          assert((await cells.nth(7).innerText()).startsWith("Operator at"));
          assertEquals(
            await page.getByTestId("attacks-detected").innerText(),
            "1",
          );
        },
      );

      await t.step(
        "the chart keeps the attack after the reset, the reset marked",
        async () => {
          await waitUntil(
            async () =>
              Number(await chart.getAttribute("data-peak")) > 11 &&
              Number(await chart.getAttribute("data-epochs")) >= 1 &&
              Number(await chart.getAttribute("data-spans")) === 1,
            "the attack, its incident and the reset on the chart",
            { timeoutMs: WAIT_MS },
          );
          await shot(page, "incident_after_reset");
        },
      );

      await t.step(
        "the audit search collapses refusals and finds LINK_RED",
        async () => {
          const explorer = page.getByTestId("audit-explorer");
          await page.getByTestId("audit-search").click();
          await explorer.locator('tr[data-tag="KEY_REFUSED"]').first()
            .waitFor();
          const collapsed = await explorer.locator('tr[data-tag="KEY_REFUSED"]')
            .evaluateAll((rows) =>
              rows.map((row) => Number(row.getAttribute("data-count")))
            );
          assert(collapsed.some((n) => n > 1), `counts ${collapsed}`);
          await explorer.getByText(
            /KEY_REFUSED ×\d+ from Soldier_(Alpha|Bravo)/,
          )
            .first().waitFor();
          await page.getByLabel("Tag").fill("LINK_RED");
          await page.getByTestId("audit-search").click();
          await explorer.locator('tr[data-tag="LINK_RED"]').first().waitFor();
          assertEquals(
            await explorer.locator("tbody tr:not([data-tag=LINK_RED])").count(),
            0,
          );
          const csv = await page.evaluate(
            async (href) => await (await fetch(href)).text(),
            await page.getByTestId("audit-csv")
              .getAttribute("href") ?? "",
          );
          assert(csv.includes("LINK_RED"));
          assertEquals(csv.includes(operator!.token), false);
        },
      );

      await t.step(
        "accessible at 1280×800 and 390×844, screenshots kept",
        async () => {
          await shot(page, "soc_desktop");
          assertAccessible(await axeScan(page));
          await page.setViewportSize({ width: 390, height: 844 });
          await page.reload();
          await banner(page, "GREEN").waitFor();
          await shot(page, "soc_phone");
          assertAccessible(await axeScan(page));
          const text = await page.locator("body").innerText();
          assertEquals(/[0-9a-f]{64}/i.test(text), false);
          assertEquals(
            (await page.content()).includes(relayToken.token),
            false,
          );
          assertEquals(problems, []);
        },
      );
    } finally {
      // Closed without waiting for the close handshake, which a socket the
      // relay has already dropped may never finish.
      for (const client of clients) client.socket.close();
      await closeBrowser(browser);
      await dashboard?.process.stop();
      await relay?.process.stop();
      await kms.stop();
      await removeDataDir(kms.dataDir);
      await operator?.remove();
      await relayToken.remove();
    }
  },
});
