import { assertEquals, assertMatch, assertStringIncludes } from "@std/assert";
import { FakeKms } from "../_test_fake_kms.ts";
import { waitUntil } from "../../testing/wait.ts";
import { testSite } from "../_test_site.ts";
import type { KmsMonitor } from "../kms_monitor.ts";
import { CURVE_POINTS } from "../key_rate_curve.ts";
import { SAMPLE_LINK_REPORT } from "../../protocol/_test_link_report.ts";

/** The view as a logged-in operator sees it once `until` holds. */
async function page(kms: FakeKms, until: (monitor: KmsMonitor) => boolean) {
  const site = testSite(kms);
  const { monitor } = site;
  monitor.start();
  try {
    await waitUntil(() => until(monitor), "the monitor");
    const { cookie } = await site.login();
    const response = await site.handle("/", { headers: { cookie } });
    return { status: response.status, html: await response.text() };
  } finally {
    await monitor.close();
  }
}

/** The page's islands, with the props the server rendered them from. */
function islandsOf(html: string) {
  return JSON.parse(
    html.match(
      /<script id="__islands" type="application\/json">(.*?)<\/script>/,
    )![1],
  ) as { name: string; props: Record<string, unknown> }[];
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
  const islands = islandsOf(html);
  assertEquals(islands.map((island) => island.name).sort(), [
    "AlertCenter",
    "AuditExplorer",
    "AuditLog",
    "Bb84Explainer",
    "ChannelMonitor",
    "DistanceChart",
    "IncidentList",
    "KeyRateChart",
    "LinkCounters",
    "LinkSettings",
    "LinkStatusBanner",
    "NetworkView",
    "OpenKmsBanner",
    "OperatorControls",
    "QberChart",
    "QberGauge",
    "QuantumLink",
    "RoomsPanel",
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

Deno.test("GET / shows the simulated link: settings, the block's outcome in words, decoy estimates, the curve", async () => {
  const kms = new FakeKms();
  const { html } = await page(kms, (m) => {
    if (m.state.kms === "live" && m.state.link?.blocks === 7) {
      // A photon-number-splitting block: normal QBER, no single photons left.
      kms.finishBlock({
        outcome: "insufficient_secret_bits",
        message: "the single-photon bound s_X,1 is 0",
        eve: "pns",
        qber: 0.021,
        decoy: {
          vacuum_detections_lower: 900,
          single_photon_detections_lower: 0,
          phase_error_upper: 0.5,
        },
      });
      kms.changePool("taken", 4096);
    }
    return m.state.link?.lastPoolChange?.change === "taken";
  });
  assertStringIncludes(html, "Quantum link (simulated)");
  assertStringIncludes(html, "classical simulation of a decoy-state BB84");
  for (
    const row of [
      "<dt>Fibre length</dt><dd>25 km</dd>",
      "<dt>Attenuation</dt><dd>0.2 dB/km (5 dB)</dd>",
      "<dt>Detector efficiency</dt><dd>10.0%</dd>",
      "<dt>Dark counts</dt><dd>6×10⁻⁷ per pulse</dd>",
      "<dt>Misalignment</dt><dd>2.0%</dd>",
      "<dt>Intensities μ / ν / ω</dt><dd>0.5 / 0.2 / 2×10⁻⁴</dd>",
      "<dt>Chosen with probability</dt><dd>20% / 55% / 25%</dd>",
      "<dt>Key basis q_X</dt><dd>70%</dd>",
      "<dt>Pulse rate</dt><dd>1 GHz</dd>",
      "<dt>Block size n_X</dt><dd>1,000,000 detections</dd>",
      "<dt>ε_sec / ε_cor</dt><dd>1×10⁻¹⁰ / 1×10⁻¹⁵</dd>",
    ]
  ) assertStringIncludes(html, row);
  assertStringIncludes(
    html,
    "PNS suspected: QBER 2.1% looks normal but the decoy estimate of single-photon detections fell to 0 (0% of the 642,972 an honest link gives at these settings): no key.",
  );
  assertStringIncludes(html, "KMS: the single-photon bound s_X,1 is 0");
  assertStringIncludes(
    html,
    "<dt>Single-photon detections s_X,1 ≥</dt><dd>0 (0.0% of n_X)</dd>",
  );
  // The operator's switch shows apart, as the demo's simulated attack.
  assertMatch(
    html,
    /Demo: the KMS(&#39;|')s operator switched on the simulated eavesdropper(&#39;|')s photon-number splitting \(PNS\) attack\./,
  );
  assertStringIncludes(html, 'data-outcome="insufficient_secret_bits"');
  // The measured rate of a keyless block is 0: not on a log scale.
  assertStringIncludes(html, "0 bit/s at 25 km (not drawn on the log scale)");
  assertStringIncludes(html, "Lo, Ma, Chen, PRL 94, 230504 (2005)");
  assertStringIncludes(html, "finite-key rate (Lim, Curty");
  assertStringIncludes(html, "<td>0</td><td>");

  const islands = islandsOf(html);
  const props = (name: string) =>
    islands.find((island) => island.name === name)!.props;
  const series = (props("KeyRateChart").initial as {
    series: { time: string; keyRateBps: number; poolBits: number }[];
  }).series;
  // The state's block, the PNS block, then the keys taken.
  assertEquals(series.map((point) => point.keyRateBps), [1_038_000, 0, 0]);
  assertEquals(
    series.at(-1)!.poolBits,
    SAMPLE_LINK_REPORT.pool_bits - 4096,
  );
  const curve = props("DistanceChart").curve as {
    ok: true;
    curve: { cutoffKm: number; points: { km: number; bps: number }[] };
  };
  assertEquals(curve.ok, true);
  assertEquals(curve.curve.points[0].km, 0);
  assertEquals(curve.curve.points.length, CURVE_POINTS + 1);
  assertEquals(
    curve.curve.points.every((p, i, all) => i === 0 || p.bps < all[i - 1].bps),
    true,
  );
});

Deno.test("GET / before the KMS was reached: the link panels say there is no report", async () => {
  const kms = new FakeKms();
  kms.stop();
  const { html } = await page(kms, (m) => m.state.kms === "unreachable");
  assertStringIncludes(html, "No link report from the KMS yet.");
  assertStringIncludes(html, "reload for the curve");
  assertStringIncludes(html, "No blocks yet.");
});
