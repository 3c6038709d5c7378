import { assertEquals, assertStringIncludes } from "@std/assert";
import { FakeKms, waitFor } from "../_test_fake_kms.ts";
import { testSite } from "../_test_site.ts";
import type { KmsMonitor } from "../kms_monitor.ts";

/** The view as a logged-in operator sees it once `until` holds. */
async function page(kms: FakeKms, until: (monitor: KmsMonitor) => boolean) {
  const site = testSite(kms);
  const { monitor } = site;
  monitor.start();
  try {
    await waitFor(() => until(monitor), "the monitor");
    const { cookie } = await site.login();
    const response = await site.handle("/", { headers: { cookie } });
    return { status: response.status, html: await response.text() };
  } finally {
    await monitor.close();
  }
}

Deno.test("GET / renders the current status on the server", async () => {
  const kms = new FakeKms();
  kms.linkStatus = { ...kms.linkStatus, total_keys_issued: 7 };
  const { status, html } = await page(kms, (m) => m.state.keysIssued === 7);
  assertEquals(status, 200);
  assertStringIncludes(html, 'data-status="GREEN"');
  assertStringIncludes(html, "LINK GREEN");
  assertStringIncludes(html, "BB84 quantum channel: classical simulation");
  assertStringIncludes(html, '<dd data-testid="keys-issued">7</dd>');
  assertStringIncludes(html, "router guard not seen");
  assertStringIncludes(html, "Photon");
  const islands = JSON.parse(
    html.match(
      /<script id="__islands" type="application\/json">(.*?)<\/script>/,
    )![1],
  ) as { name: string }[];
  assertEquals(islands.map((island) => island.name).sort(), [
    "AuditLog",
    "Bb84Explainer",
    "LinkCounters",
    "LinkStatusBanner",
    "OpenKmsBanner",
    "OperatorControls",
    "QberChart",
    "QberGauge",
    "RouterStatus",
  ]);
});

Deno.test("GET / while the KMS is down says so", async () => {
  const kms = new FakeKms();
  kms.stop();
  const { html } = await page(kms, (m) => m.state.kms === "unreachable");
  assertStringIncludes(html, "KMS unreachable");
  assertStringIncludes(html, 'data-status="unreachable"');
});

Deno.test("GET / shows the audit log and never a key", async () => {
  const kms = new FakeKms();
  const { html } = await page(kms, (m) => {
    if (m.state.kms === "live" && m.state.audit.length === 0) {
      kms.emit("audit", {
        id: 3,
        tag: "ATTACK_DETECTED",
        message: `qber=0.250 threshold=0.11 stray=${"c".repeat(64)}`,
        at: "2026-02-23T05:02:03Z",
      });
    }
    return m.state.audit.length === 1;
  });
  assertStringIncludes(html, "ATTACK_DETECTED");
  assertStringIncludes(html, "05:02:03Z");
  assertEquals(/[0-9a-f]{64}/i.test(html), false);
});
