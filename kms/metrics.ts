/**
 * Prometheus text exposition for `GET /metrics`.
 *
 * @module
 */

/** Upper bounds (seconds) of the request latency histogram buckets. */
const LATENCY_BUCKETS = [
  0.0005,
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  1,
];

/**
 * A latency histogram per route.
 *
 * @example
 * ```ts
 * import { LatencyHistogram } from "./metrics.ts";
 * const h = new LatencyHistogram();
 * h.observe("/link_status", 0.002);
 * console.log(h.render("qstcs_kms_request_duration_seconds").includes('route="/link_status"')); // true
 * ```
 */
export class LatencyHistogram {
  #routes = new Map<
    string,
    { buckets: number[]; sum: number; count: number }
  >();

  /** Records one request's duration in seconds. */
  observe(route: string, seconds: number): void {
    let entry = this.#routes.get(route);
    if (!entry) {
      entry = { buckets: LATENCY_BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.#routes.set(route, entry);
    }
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
      if (seconds <= LATENCY_BUCKETS[i]) entry.buckets[i]++;
    }
    entry.sum += seconds;
    entry.count++;
  }

  /** The histogram in Prometheus text format. */
  render(name: string): string {
    const lines = [
      `# HELP ${name} HTTP request latency by route.`,
      `# TYPE ${name} histogram`,
    ];
    for (const [route, entry] of this.#routes) {
      const label = `route="${route}"`;
      LATENCY_BUCKETS.forEach((le, i) => {
        lines.push(`${name}_bucket{${label},le="${le}"} ${entry.buckets[i]}`);
      });
      lines.push(`${name}_bucket{${label},le="+Inf"} ${entry.count}`);
      lines.push(`${name}_sum{${label}} ${entry.sum}`);
      lines.push(`${name}_count{${label}} ${entry.count}`);
    }
    return lines.join("\n");
  }
}

/** One plain metric: name, type, help and samples. */
export interface Metric {
  /** Metric name. */
  name: string;
  /** counter or gauge. */
  type: "counter" | "gauge";
  /** HELP text. */
  help: string;
  /** Samples: label set (may be empty) and value. */
  samples: { labels?: Record<string, string>; value: number }[];
}

/**
 * Renders plain metrics in Prometheus text format.
 *
 * @example
 * ```ts
 * import { renderMetrics } from "./metrics.ts";
 * const text = renderMetrics([{ name: "x_total", type: "counter", help: "X.", samples: [{ value: 3 }] }]);
 * console.log(text.endsWith("x_total 3")); // true
 * ```
 */
export function renderMetrics(metrics: Metric[]): string {
  const lines: string[] = [];
  for (const m of metrics) {
    lines.push(`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.type}`);
    for (const s of m.samples) {
      const labels = Object.entries(s.labels ?? {});
      const set = labels.length === 0
        ? ""
        : `{${labels.map(([k, v]) => `${k}="${v}"`).join(",")}}`;
      lines.push(`${m.name}${set} ${s.value}`);
    }
  }
  return lines.join("\n");
}
