/// <reference lib="dom" />
import { useEffect } from "preact/hooks";
import { axisStyle, CHART_COLORS } from "../components/chart_theme.ts";
import { useLineChart } from "../components/line_chart.ts";
import { percent, withPrefix, zuluTime } from "../format.ts";
import { useLive } from "../live.ts";
import {
  chartSeries,
  type LinkSeriesView,
  linkSeriesView,
} from "../link_views.ts";

// A lone point or a burst still gets a readable stretch of time.
const MIN_SPAN_MS = 60_000;

function utcTime(ms: number): string {
  return zuluTime(new Date(ms).toISOString());
}

function summary(view: LinkSeriesView): string {
  const last = view.series.at(-1);
  if (!last) return "No blocks yet.";
  return `${view.series.length} points shown · key rate ${
    withPrefix(last.keyRateBps, "bit/s")
  } · pool ${withPrefix(last.poolBits, "bit")} (${
    percent(last.poolBits / Math.max(1, view.capacityBits))
  } of ${withPrefix(view.capacityBits, "bit")}) · simulated`;
}

/**
 * The simulated link's secret key rate (bits/s, left axis) and the key
 * pool's level (% of capacity, right axis) over time, live (chart.js, a
 * linear axis of UTC times).
 *
 * @example
 * ```tsx
 * import { assertStringIncludes } from "@std/assert";
 * import { renderToString } from "preact-render-to-string";
 * import KeyRateChart from "./KeyRateChart.tsx";
 *
 * const view = {
 *   series: [{ time: "2026-12-01T00:00:00Z", keyRateBps: 1e6, poolBits: 4_194_304 }],
 *   capacityBits: 16_777_216,
 * };
 * assertStringIncludes(
 *   renderToString(<KeyRateChart initial={view} />),
 *   "1 points shown · key rate 1 Mbit/s · pool 4.19 Mbit (25.0% of 16.8 Mbit) · simulated",
 * );
 * ```
 */
export default function KeyRateChart(props: { initial: LinkSeriesView }) {
  const view = useLive(props.initial, linkSeriesView);

  const { canvas, chart } = useLineChart({
    scales: {
      x: {
        type: "linear",
        ...axisStyle("time (UTC)", utcTime),
      },
      y: {
        type: "linear",
        min: 0,
        position: "left",
        ...axisStyle(
          "simulated secret key rate (bit/s)",
          (value) => withPrefix(value, "bit/s"),
        ),
      },
      pool: {
        type: "linear",
        min: 0,
        max: 100,
        position: "right",
        ...axisStyle(
          "simulated key pool (% of capacity)",
          (value) => `${value}%`,
        ),
        grid: { drawOnChartArea: false },
      },
    },
    plugins: {
      legend: { labels: { color: CHART_COLORS.text } },
      tooltip: {
        callbacks: {
          title: (items) => utcTime(items[0]?.parsed.x ?? 0),
          label: (item) =>
            item.datasetIndex === 0
              ? `key rate ${withPrefix(item.parsed.y ?? 0, "bit/s")}`
              : `pool ${(item.parsed.y ?? 0).toFixed(1)}% of capacity`,
        },
      },
    },
  });

  useEffect(() => {
    const current = chart.current;
    if (!current) return;
    const { rate, pool } = chartSeries(view);
    current.data.datasets = [
      {
        label: "secret key rate (bit/s)",
        data: rate,
        borderColor: CHART_COLORS.teal,
        backgroundColor: CHART_COLORS.teal,
        borderWidth: 2,
        pointRadius: 2,
        yAxisID: "y",
      },
      {
        label: "key pool (% of capacity)",
        data: pool,
        borderColor: CHART_COLORS.amber,
        backgroundColor: CHART_COLORS.amber,
        borderWidth: 2,
        borderDash: [5, 3],
        pointRadius: 1,
        stepped: true,
        yAxisID: "pool",
      },
    ];
    const x = current.options.scales!.x!;
    x.min = rate[0]?.x;
    x.max = rate.length
      ? Math.max(rate.at(-1)!.x, rate[0].x + MIN_SPAN_MS)
      : undefined;
    current.update();
    // What the chart itself holds, for the browser tests.
    canvas.current!.dataset.points = String(rate.length);
    canvas.current!.dataset.lastRate = rate.length
      ? String(rate.at(-1)!.y)
      : "";
    canvas.current!.dataset.lastTime = view.series.at(-1)?.time ?? "";
    canvas.current!.dataset.lastPool = pool.length
      ? String(pool.at(-1)!.y)
      : "";
  }, [view.series, view.capacityBits]);

  return (
    <figure class="chart" data-testid="key-rate-chart">
      <div class="chart-box">
        <canvas
          ref={canvas}
          role="img"
          aria-label={`Simulated key rate and pool over time: ${summary(view)}`}
        />
      </div>
      <figcaption>{summary(view)}</figcaption>
    </figure>
  );
}
