/**
 * The SOC view's chart colours and axis style, shared by the chart.js
 * islands so the charts read as one set on the dark panels.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { axisStyle, CHART_COLORS } from "./chart_theme.ts";
 *
 * assertEquals(axisStyle("QBER").title, { display: true, text: "QBER", color: CHART_COLORS.text });
 * ```
 *
 * @module
 */

/** Colours of the charts (the stylesheet's palette). */
export const CHART_COLORS = {
  green: "#22c55e",
  yellow: "#eab308",
  red: "#ef4444",
  line: "#60a5fa",
  teal: "#2dd4bf",
  amber: "#f59e0b",
  grid: "rgba(148, 163, 184, 0.14)",
  text: "#94a3b8",
} as const;

/** Ticks (written by `format` when given), grid and a title for one axis. */
export function axisStyle(
  title: string,
  format?: (value: number) => string,
) {
  return {
    ticks: {
      color: CHART_COLORS.text,
      maxRotation: 0,
      autoSkipPadding: 12,
      ...(format && {
        callback: (value: number | string) => format(Number(value)),
      }),
    },
    grid: { color: CHART_COLORS.grid },
    title: { display: true, text: title, color: CHART_COLORS.text },
  };
}
