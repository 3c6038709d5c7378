/// <reference lib="dom" />
import type { Plugin } from "chart.js";
import { useEffect } from "preact/hooks";
import { CHART_COLORS as COLORS } from "../components/chart_theme.ts";
import { useLineChart } from "../components/line_chart.ts";
import { percent, wholePercent, zuluTime } from "../format.ts";
import { useLive } from "../live.ts";
import type { QberPoint } from "../soc_state.ts";
import { RED_THRESHOLD, YELLOW_THRESHOLD } from "../../protocol/link_policy.ts";

function colorOf(percentValue: number): string {
  return percentValue >= RED_THRESHOLD * 100
    ? COLORS.red
    : percentValue >= YELLOW_THRESHOLD * 100
    ? COLORS.yellow
    : COLORS.green;
}

/** Dashed lines at the YELLOW and RED thresholds, labelled. */
const thresholds: Plugin<"line"> = {
  id: "qberThresholds",
  afterDatasetsDraw(chart) {
    const { ctx, chartArea, scales } = chart;
    for (
      const [value, label, color] of [
        [
          YELLOW_THRESHOLD,
          `${wholePercent(YELLOW_THRESHOLD)} YELLOW`,
          COLORS.yellow,
        ],
        [
          RED_THRESHOLD,
          `${wholePercent(RED_THRESHOLD)} RED: attack`,
          COLORS.red,
        ],
      ] as const
    ) {
      const y = scales.y.getPixelForValue(value * 100);
      ctx.save();
      ctx.strokeStyle = color;
      ctx.setLineDash([6, 4]);
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.moveTo(chartArea.left, y);
      ctx.lineTo(chartArea.right, y);
      ctx.stroke();
      ctx.fillStyle = color;
      ctx.font = "12px system-ui, sans-serif";
      ctx.textAlign = "right";
      ctx.fillText(label, chartArea.right - 4, y - 5);
      ctx.restore();
    }
  },
};

function labels(points: QberPoint[]): string[] {
  return points.map((point, i) =>
    point.time === null ? `#${i + 1}` : zuluTime(point.time)
  );
}

function values(points: QberPoint[]): number[] {
  return points.map((point) => point.qber * 100);
}

function yMax(points: QberPoint[]): number {
  const top = Math.max(0, ...values(points));
  return Math.max(30, Math.ceil((top + 2) / 5) * 5);
}

function summary(points: QberPoint[]): string {
  if (points.length === 0) return "No blocks yet.";
  const last = points.at(-1)!.qber;
  const above = points.filter((p) => p.qber >= RED_THRESHOLD).length;
  return `${points.length} blocks shown · latest ${
    percent(last)
  } · ${above} at or above ${wholePercent(RED_THRESHOLD)}`;
}

/**
 * The QBER of each block of the link as a live line chart (chart.js), with the YELLOW
 * and RED thresholds drawn.
 *
 * @example
 * ```tsx
 * import { assertStringIncludes } from "@std/assert";
 * import { renderToString } from "preact-render-to-string";
 * import QberChart from "./QberChart.tsx";
 *
 * const points = [{ qber: 0.02, time: null }, { qber: 0.25, time: "2026-02-23T05:00:00Z" }];
 * assertStringIncludes(
 *   renderToString(<QberChart initial={points} />),
 *   "<figcaption>2 blocks shown · latest 25.0% · 1 at or above 11%</figcaption>",
 * );
 * ```
 */
export default function QberChart(props: { initial: QberPoint[] }) {
  const points = useLive(props.initial, (state) => state.history);
  const { canvas, chart } = useLineChart({
    scales: {
      x: {
        ticks: { color: COLORS.text, maxRotation: 0, autoSkipPadding: 12 },
        grid: { color: COLORS.grid },
      },
      y: {
        min: 0,
        ticks: { color: COLORS.text, callback: (value) => `${value}%` },
        grid: { color: COLORS.grid },
        title: { display: true, text: "QBER", color: COLORS.text },
      },
    },
    plugins: {
      tooltip: {
        callbacks: {
          label: (item) => `QBER ${(item.parsed.y ?? 0).toFixed(1)}%`,
        },
      },
    },
  }, [thresholds]);

  useEffect(() => {
    const current = chart.current;
    if (!current) return;
    const data = values(points);
    current.data.labels = labels(points);
    current.data.datasets = [{
      label: "QBER",
      data,
      borderColor: COLORS.line,
      borderWidth: 2,
      tension: 0.2,
      pointRadius: 4,
      pointBackgroundColor: data.map(colorOf),
      pointBorderColor: data.map(colorOf),
    }];
    current.options.scales!.y!.max = yMax(points);
    current.update();
    // What the chart itself holds, for the browser tests.
    canvas.current!.dataset.points = String(data.length);
    canvas.current!.dataset.last = data.length ? String(data.at(-1)) : "";
    canvas.current!.dataset.lastTime = points.at(-1)?.time ?? "";
  }, [points]);

  return (
    <figure class="chart" data-testid="qber-chart">
      <div class="chart-box">
        <canvas
          ref={canvas}
          role="img"
          aria-label={`QBER history: ${summary(points)}`}
        />
      </div>
      <figcaption>{summary(points)}</figcaption>
    </figure>
  );
}
