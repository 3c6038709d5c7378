/// <reference lib="dom" />
/**
 * The chart islands' one way to hold a chart.js line chart: the parts of
 * chart.js they use, registered once, and a hook that makes the chart on
 * the island's canvas when it mounts and destroys it when it goes.
 *
 * @module
 */

import {
  CategoryScale,
  Chart,
  type ChartOptions,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  type Plugin,
  PointElement,
  Tooltip,
} from "chart.js";
import type { RefObject } from "preact";
import { useEffect, useRef } from "preact/hooks";

// Only the parts line charts need, so the bundle leaves the rest out.
Chart.register(
  LineController,
  LineElement,
  PointElement,
  LinearScale,
  LogarithmicScale,
  CategoryScale,
  Legend,
  Tooltip,
);

/** The canvas to render and the chart on it (`null` until mounted). */
export interface LineChart {
  canvas: RefObject<HTMLCanvasElement>;
  chart: RefObject<Chart<"line"> | null>;
}

/**
 * A line chart, not animated and filling its box, with `options` and
 * `plugins` as given when the component mounts (later values are not read:
 * islands change data and scales through `chart.current`).
 *
 * @example
 * ```tsx
 * import { assertMatch } from "@std/assert";
 * import { renderToString } from "preact-render-to-string";
 * import { useLineChart } from "./line_chart.ts";
 *
 * function Empty() {
 *   const { canvas } = useLineChart({});
 *   return <canvas ref={canvas} />;
 * }
 * // On the server no effect runs: the canvas, no chart.
 * assertMatch(renderToString(<Empty />), /^<canvas\s*><\/canvas>$/);
 * ```
 */
export function useLineChart(
  options: ChartOptions<"line">,
  plugins: Plugin<"line">[] = [],
): LineChart {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<"line"> | null>(null);
  useEffect(() => {
    if (!canvas.current) return;
    chart.current = new Chart(canvas.current, {
      type: "line",
      data: { labels: [], datasets: [] },
      options: { animation: false, maintainAspectRatio: false, ...options },
      plugins,
    });
    return () => chart.current?.destroy();
  }, []);
  return { canvas, chart };
}
