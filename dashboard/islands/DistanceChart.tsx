/// <reference lib="dom" />
import { useEffect } from "preact/hooks";
import { axisStyle, CHART_COLORS } from "../components/chart_theme.ts";
import { useLineChart } from "../components/line_chart.ts";
import { count, scientific, withPrefix } from "../format.ts";
import type { KeyRateCurveResult } from "../key_rate_curve.ts";
import { useLive } from "../live.ts";
import { type OperatingPoint, operatingPoint } from "../link_views.ts";

/** Props of {@linkcode DistanceChart}. */
export interface DistanceChartProps {
  /** The curve the server computed at the link's settings, `null` without a link. */
  curve: KeyRateCurveResult | null;
  /** The operating point when the page was rendered. */
  initial: OperatingPoint | null;
}

const CURVE_LABEL = "asymptotic decoy-state BB84 (GLLP; Lo, Ma, Chen 2005)";
const POINT_LABEL = "running link: measured finite-key rate (Lim et al. 2014)";

function sameSettings(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The asymptotic secret key rate against fibre length at the link's
 * settings (log scale), with the running link's measured finite-key rate
 * at its distance marked. The curve comes from the server; the point is
 * live.
 *
 * @example
 * ```tsx
 * import { assertStringIncludes } from "@std/assert";
 * import { renderToString } from "preact-render-to-string";
 * import DistanceChart from "./DistanceChart.tsx";
 * import { keyRateCurve } from "../key_rate_curve.ts";
 * import { SAMPLE_LINK_REPORT } from "../../protocol/_test_link_report.ts";
 *
 * const { settings } = SAMPLE_LINK_REPORT;
 * const point = { distanceKm: 25, keyRateBps: 1_038_000, settings };
 * const html = renderToString(
 *   <DistanceChart curve={keyRateCurve(settings)} initial={point} />,
 * );
 * assertStringIncludes(html, "Lo, Ma, Chen, PRL 94, 230504 (2005)");
 * assertStringIncludes(html, "1.04 Mbit/s at 25 km");
 * ```
 */
export default function DistanceChart(props: DistanceChartProps) {
  const point = useLive(props.initial, operatingPoint);
  const result = props.curve;
  const curve = result?.ok ? result.curve : null;
  const rate = point?.keyRateBps ?? 0;
  const distance = point?.distanceKm ?? 0;

  const { canvas, chart } = useLineChart({
    scales: {
      x: {
        type: "linear",
        min: 0,
        ...axisStyle("fibre length (km)", (value) => `${value}`),
      },
      y: {
        type: "logarithmic",
        ...axisStyle(
          "simulated secret key rate (bit/s, log)",
          (value) => withPrefix(value, "bit/s"),
        ),
      },
    },
    plugins: {
      legend: { labels: { color: CHART_COLORS.text } },
      tooltip: {
        callbacks: {
          label: (item) =>
            `${item.dataset.label}: ${
              withPrefix(item.parsed.y ?? 0, "bit/s")
            } at ${item.parsed.x} km`,
        },
      },
    },
  });

  useEffect(() => {
    const current = chart.current;
    if (!current || !curve) return;
    const marked = rate > 0 ? [{ x: distance, y: rate }] : [];
    current.data.datasets = [
      {
        label: CURVE_LABEL,
        data: curve.points.map((p) => ({ x: p.km, y: p.bps })),
        borderColor: CHART_COLORS.line,
        backgroundColor: CHART_COLORS.line,
        borderWidth: 2,
        pointRadius: 0,
      },
      {
        label: POINT_LABEL,
        data: marked,
        showLine: false,
        borderColor: CHART_COLORS.amber,
        backgroundColor: CHART_COLORS.amber,
        pointRadius: 7,
        pointStyle: "rectRot",
      },
    ];
    current.options.scales!.x!.max = Math.ceil(
      Math.max(curve.cutoffKm, distance) * 1.05,
    );
    current.update();
    canvas.current!.dataset.curvePoints = String(curve.points.length);
    canvas.current!.dataset.pointRate = String(rate);
    canvas.current!.dataset.pointKm = String(distance);
  }, [rate, distance]);

  if (!result) {
    return (
      <p class="qlink-note" data-testid="distance-chart">
        No link report from the KMS when this page loaded: reload for the curve.
      </p>
    );
  }
  if (!result.ok) {
    return (
      <p class="qlink-note" data-testid="distance-chart">
        The model cannot draw a curve at the link's settings: {result.reason}
      </p>
    );
  }
  const { settings, cutoffKm, atDistanceBps, points } = result.curve;
  const [mu, nu] = settings.intensities;
  const measured = rate > 0
    ? `${withPrefix(rate, "bit/s")} at ${distance} km`
    : `0 bit/s at ${distance} km (not drawn on the log scale)`;
  const summary = `Model cut-off ${
    Math.round(cutoffKm)
  } km; at ${settings.distance_km} km the model gives ${
    withPrefix(atDistanceBps, "bit/s")
  }, the running link measured ${measured}.`;
  return (
    <figure class="chart" data-testid="distance-chart">
      <div class="chart-box">
        <canvas
          ref={canvas}
          role="img"
          aria-label={`Simulated secret key rate against fibre length: ${summary}`}
        />
      </div>
      <figcaption>
        <p data-testid="distance-summary">{summary}</p>
        <p>
          Curve: asymptotic secret key rate per pulse of decoy-state BB84 (GLLP
          with the decoy method of Lo, Ma, Chen, PRL 94, 230504 (2005); vacuum +
          weak decoy bounds of Ma, Qi, Zhao, Lo 2005) at the link's settings (μ
          {" "}
          {scientific(mu)}, ν{" "}
          {scientific(nu)}, f 1.16), times the pulse rate. Point: the running
          link's finite-key rate (Lim, Curty, Walenta, Xu, Zbinden 2014) over
          blocks of {count(settings.block_size)}{" "}
          detections, which sits below the asymptotic curve. All figures
          simulated.
        </p>
        {point && !sameSettings(point.settings, settings) && (
          <p class="result-error">
            The link's settings changed since this page was rendered: reload for
            the curve at the new settings.
          </p>
        )}
        <details>
          <summary>The curve's points</summary>
          <div
            class="curve-table-box"
            tabIndex={0}
            role="region"
            aria-label="The curve's points"
          >
            <table class="curve-table" data-testid="curve-table">
              <thead>
                <tr>
                  <th scope="col">Fibre (km)</th>
                  <th scope="col">Model key rate (simulated)</th>
                </tr>
              </thead>
              <tbody>
                {points.map((p) => (
                  <tr>
                    <td>{p.km}</td>
                    <td>{withPrefix(p.bps, "bit/s")}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
      </figcaption>
    </figure>
  );
}
