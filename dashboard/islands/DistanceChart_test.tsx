import { assertStringIncludes } from "@std/assert";
import { renderToString } from "preact-render-to-string";
import { SAMPLE_LINK_REPORT } from "../../protocol/_test_link_report.ts";
import { keyRateCurve } from "../key_rate_curve.ts";
import DistanceChart from "./DistanceChart.tsx";

const { settings } = SAMPLE_LINK_REPORT;
const point = { distanceKm: 25, keyRateBps: 1_038_000, settings };

Deno.test("DistanceChart labels the model, the paper and the point, all simulated", () => {
  const html = renderToString(
    <DistanceChart curve={keyRateCurve(settings)} initial={point} />,
  );
  assertStringIncludes(html, "GLLP with the decoy method of Lo, Ma, Chen");
  assertStringIncludes(html, "finite-key rate (Lim, Curty, Walenta, Xu");
  assertStringIncludes(html, "All figures simulated.");
  assertStringIncludes(html, "Model cut-off 195 km");
  assertStringIncludes(html, 'aria-label="The curve&#39;s points"');
});

Deno.test("DistanceChart says when the link's settings changed since the render", () => {
  const moved = {
    ...point,
    distanceKm: 50,
    settings: { ...settings, distance_km: 50 },
  };
  const html = renderToString(
    <DistanceChart curve={keyRateCurve(settings)} initial={moved} />,
  );
  assertStringIncludes(html, "reload");
  assertStringIncludes(html, "settings changed since this page was rendered");
});

Deno.test("DistanceChart without a curve says why", () => {
  assertStringIncludes(
    renderToString(<DistanceChart curve={null} initial={null} />),
    "No link report from the KMS when this page loaded",
  );
  const bad = keyRateCurve({ ...settings, intensities: [0.2, 0.5, 0] });
  assertStringIncludes(
    renderToString(<DistanceChart curve={bad} initial={point} />),
    "The model cannot draw a curve at the link",
  );
});
