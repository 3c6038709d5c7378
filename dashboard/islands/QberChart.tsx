/// <reference lib="dom" />
import type { Chart, Plugin } from "chart.js";
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import {
  axisStyle,
  CHART_COLORS as COLORS,
} from "../components/chart_theme.ts";
import { useLineChart } from "../components/line_chart.ts";
import { wholePercent, zuluTime } from "../format.ts";
import { useLive } from "../live.ts";
import { usePolled } from "../poll.ts";
import type { QberPoint } from "../soc_state.ts";
import {
  type Timeline,
  timeline,
  TIMELINE_POINTS,
  TIMELINE_WINDOWS,
  timelineSummary,
  type TimelineWindow,
} from "../timeline.ts";
import type { Incident } from "../../protocol/incident.ts";
import {
  isLinkHistoryResponse,
  type LinkHistoryResponse,
} from "../../protocol/soc_api.ts";
import { RED_THRESHOLD, YELLOW_THRESHOLD } from "../../protocol/link_policy.ts";

/** What the timeline island follows of the live state. */
export interface QberChartView {
  /** The live blocks, oldest first. */
  history: QberPoint[];
  /** The KMS's recent incidents. */
  incidents: Incident[];
  /** Whether the KMS is reachable (the history is asked only then). */
  kmsLive: boolean;
}

// Asked again this often (and at once after a reset or an incident change).
const REFRESH_MS = 5_000;

function colorOf(percentValue: number): string {
  return percentValue >= RED_THRESHOLD * 100
    ? COLORS.red
    : percentValue >= YELLOW_THRESHOLD * 100
    ? COLORS.yellow
    : COLORS.green;
}

function utc(ms: number): string {
  return zuluTime(new Date(ms).toISOString());
}

/**
 * Draws, under the line: the YELLOW and RED bands, each incident's span
 * (shaded, labelled) and each reset (a dashed vertical line, labelled with
 * who reset); over it, the two thresholds as dashed lines.
 */
function overlay(view: { current: Timeline }): Plugin<"line"> {
  const band = (
    chart: Chart<"line">,
    from: number,
    to: number,
    fill: string,
  ) => {
    const { ctx, chartArea, scales } = chart;
    const top = Math.max(chartArea.top, scales.y.getPixelForValue(to));
    const bottom = Math.min(chartArea.bottom, scales.y.getPixelForValue(from));
    ctx.fillStyle = fill;
    ctx.fillRect(
      chartArea.left,
      top,
      chartArea.right - chartArea.left,
      bottom - top,
    );
  };
  return {
    id: "qberTimeline",
    beforeDatasetsDraw(chart) {
      const { ctx, chartArea, scales } = chart;
      ctx.save();
      band(
        chart,
        YELLOW_THRESHOLD * 100,
        RED_THRESHOLD * 100,
        "rgba(234, 179, 8, 0.10)",
      );
      band(
        chart,
        RED_THRESHOLD * 100,
        Number(scales.y.max),
        "rgba(239, 68, 68, 0.10)",
      );
      ctx.font = "12px system-ui, sans-serif";
      for (const span of view.current.spans) {
        const left = scales.x.getPixelForValue(span.from);
        const right = Math.max(left + 2, scales.x.getPixelForValue(span.to));
        ctx.fillStyle = "rgba(239, 68, 68, 0.22)";
        ctx.fillRect(
          left,
          chartArea.top,
          right - left,
          chartArea.bottom - chartArea.top,
        );
        ctx.fillStyle = "#fca5a5";
        ctx.textAlign = "left";
        ctx.fillText(`incident #${span.id}`, left + 3, chartArea.top + 12);
      }
      ctx.strokeStyle = COLORS.line;
      ctx.setLineDash([3, 3]);
      for (const mark of view.current.epochs) {
        const x = scales.x.getPixelForValue(mark.at);
        ctx.beginPath();
        ctx.moveTo(x, chartArea.top);
        ctx.lineTo(x, chartArea.bottom);
        ctx.stroke();
        ctx.fillStyle = COLORS.line;
        ctx.textAlign = "right";
        ctx.fillText(mark.label, x - 3, chartArea.bottom - 6);
      }
      ctx.restore();
    },
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
}

function yMax(view: Timeline): number {
  const top = Math.max(0, ...view.points.map((point) => point.y));
  return Math.max(30, Math.ceil((top + 2) / 5) * 5);
}

function parseHistory(json: unknown): LinkHistoryResponse | null {
  return isLinkHistoryResponse(json) ? json : null;
}

/**
 * The QBER of every block on a real UTC time axis (chart.js, straight lines
 * between the measured points, each coloured by its zone), over a window of
 * 5 min, 1 h or 24 h: the KMS's persisted history (through this server;
 * buckets keep their peak, so a spike is never averaged away) and the live
 * blocks since. The YELLOW and RED bands, incidents shaded and resets marked:
 * a reset starts a new epoch and the attack stays on the chart.
 *
 * @example
 * ```tsx
 * import { assertStringIncludes } from "@std/assert";
 * import { renderToString } from "preact-render-to-string";
 * import QberChart from "./QberChart.tsx";
 *
 * const history = [{ qber: 0.02, time: null }, { qber: 0.25, time: new Date().toISOString() }];
 * const html = renderToString(<QberChart initial={{ history, incidents: [], kmsLive: true }} />);
 * assertStringIncludes(html, "last 5 min: 1 points · peak 25.0%");
 * assertStringIncludes(html, 'aria-label="Window"');
 * ```
 */
export default function QberChart(props: { initial: QberChartView }) {
  const live = useLive(props.initial, (state) => ({
    history: state.history,
    incidents: state.incidents.recent,
    kmsLive: state.kms === "live",
  }));
  const [window, setWindow] = useState<TimelineWindow>("5 min");
  const windowMs = TIMELINE_WINDOWS[window];
  // A reset or a change of an incident asks for the history at once.
  const refresh = `${live.incidents.map((i) => `${i.id}:${i.closed_at}`)}`;
  // Not asked while the KMS is away (the chart keeps its last answer).
  const history = usePolled(live.kmsLive ? `history:${window}` : null, {
    intervalMs: REFRESH_MS,
    parse: parseHistory,
    refresh,
    url: () =>
      `/api/history?since=${Date.now() - windowMs}&max=${TIMELINE_POINTS}`,
  });
  const view = useMemo(() =>
    timeline({
      blocks: history.data?.blocks ?? [],
      epochs: history.data?.epochs ?? [],
      live: live.history,
      incidents: live.incidents,
    }, { windowMs, now: Date.now() }), [history.data, live, windowMs]);
  const current = useRef(view);
  current.current = view;
  const { canvas, chart } = useLineChart({
    parsing: false,
    scales: {
      x: { type: "linear", ...axisStyle("time (UTC)", utc) },
      y: {
        min: 0,
        ...axisStyle("QBER", (value) => `${value}%`),
      },
    },
    plugins: {
      legend: { display: false },
      tooltip: {
        callbacks: {
          title: (items) => utc(items[0]?.parsed.x ?? 0),
          label: (item) => `QBER ${(item.parsed.y ?? 0).toFixed(1)}%`,
        },
      },
    },
  }, [overlay(current)]);

  useEffect(() => {
    const shown = chart.current;
    if (!shown) return;
    const colors = view.points.map((point) => colorOf(point.y));
    shown.data.datasets = [{
      label: "QBER",
      data: view.points,
      borderColor: COLORS.line,
      borderWidth: 2,
      tension: 0,
      pointRadius: 3,
      pointBackgroundColor: colors,
      pointBorderColor: colors,
    }];
    shown.options.scales!.x!.min = view.from;
    shown.options.scales!.x!.max = view.to;
    shown.options.scales!.y!.max = yMax(view);
    shown.update();
    // What the chart itself holds, for the browser tests.
    const data = canvas.current!.dataset;
    data.points = String(view.points.length);
    data.last = view.points.length ? String(view.points.at(-1)!.y) : "";
    data.lastTime = view.points.length
      ? new Date(view.points.at(-1)!.x).toISOString()
      : "";
    data.peak = String(Math.max(0, ...view.points.map((point) => point.y)));
    data.spans = String(view.spans.length);
    data.epochs = String(view.epochs.length);
  }, [view]);

  const summary = timelineSummary(view, window);
  return (
    <figure class="chart" data-testid="qber-chart" data-window={window}>
      <div class="chart-tools" role="radiogroup" aria-label="Window">
        {(Object.keys(TIMELINE_WINDOWS) as TimelineWindow[]).map((name) => (
          <button
            type="button"
            role="radio"
            aria-checked={name === window ? "true" : "false"}
            class={`btn btn-quiet btn-small ${name === window ? "btn-on" : ""}`}
            data-testid={`window-${name.replace(" ", "")}`}
            onClick={() => setWindow(name)}
          >
            {name}
          </button>
        ))}
        {history.error && (
          <span class="chart-error">history: {history.error}</span>
        )}
      </div>
      <div class="chart-box">
        <canvas
          ref={canvas}
          role="img"
          aria-label={`QBER over time, ${summary}`}
        />
      </div>
      <figcaption>{summary}</figcaption>
    </figure>
  );
}
