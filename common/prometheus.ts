/**
 * Prometheus text exposition (format 0.0.4) for the services' `/metrics`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { renderMetrics } from "./prometheus.ts";
 *
 * const text = renderMetrics([{
 *   name: "qstcs_x_total",
 *   type: "counter",
 *   help: "Things.",
 *   samples: [{ value: 3 }, { labels: { code: "bad" }, value: 1 }],
 * }]);
 * assertEquals(
 *   text,
 *   '# HELP qstcs_x_total Things.\n# TYPE qstcs_x_total counter\n' +
 *     'qstcs_x_total 3\nqstcs_x_total{code="bad"} 1\n',
 * );
 * ```
 *
 * @module
 */

/** One sample: its labels, its value and, for histograms, its series suffix. */
export interface Sample {
  /** Label names and values. */
  labels?: Record<string, string | number>;
  /** The value. */
  value: number;
  /** `_bucket`, `_sum` or `_count` for a histogram's series. */
  suffix?: string;
}

/** One metric family. */
export interface Metric {
  /** The family's name. */
  name: string;
  /** Its Prometheus type. */
  type: "counter" | "gauge" | "histogram";
  /** The HELP text. */
  help: string;
  /** Its samples. */
  samples: Sample[];
}

/** Renders metric families as the Prometheus text format. */
export function renderMetrics(metrics: readonly Metric[]): string {
  const lines: string[] = [];
  for (const { name, type, help, samples } of metrics) {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const { labels = {}, value, suffix = "" } of samples) {
      const pairs = Object.entries(labels).map(([k, v]) =>
        `${k}="${escapeLabel(String(v))}"`
      );
      const set = pairs.length === 0 ? "" : `{${pairs.join(",")}}`;
      lines.push(`${name}${suffix}${set} ${value}`);
    }
  }
  return lines.map((line) => line + "\n").join("");
}

/**
 * A family with one sample per key of `values`, labelled `label`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { labelledMetric } from "./prometheus.ts";
 *
 * const metric = labelledMetric("x_total", {
 *   type: "counter",
 *   help: "X.",
 *   label: "reason",
 *   values: new Map([["full", 2]]),
 * });
 * assertEquals(metric.samples, [{ labels: { reason: "full" }, value: 2 }]);
 * ```
 */
export function labelledMetric(
  name: string,
  options: {
    type: Metric["type"];
    help: string;
    label: string;
    values: ReadonlyMap<string | number, number>;
  },
): Metric {
  return {
    name,
    type: options.type,
    help: options.help,
    samples: [...options.values].map(([key, value]) => ({
      labels: { [options.label]: key },
      value,
    })),
  };
}

// Prometheus label values escape backslash, double quote and line feed.
function escapeLabel(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => c === "\n" ? "\\n" : `\\${c}`);
}

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
 * A request latency histogram per route.
 *
 * @example
 * ```ts
 * import { assertStringIncludes } from "@std/assert";
 * import { LatencyHistogram, renderMetrics } from "./prometheus.ts";
 *
 * const histogram = new LatencyHistogram();
 * histogram.observe("/link_status", 0.002);
 * const text = renderMetrics([histogram.metric("qstcs_kms_request_duration_seconds")]);
 * assertStringIncludes(text, 'qstcs_kms_request_duration_seconds_bucket{route="/link_status",le="0.0025"} 1');
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

  /** The histogram as a metric family called `name`. */
  metric(name: string): Metric {
    const samples: Sample[] = [];
    for (const [route, { buckets, sum, count }] of this.#routes) {
      LATENCY_BUCKETS.forEach((le, i) => {
        samples.push({
          suffix: "_bucket",
          labels: { route, le },
          value: buckets[i],
        });
      });
      samples.push(
        { suffix: "_bucket", labels: { route, le: "+Inf" }, value: count },
        { suffix: "_sum", labels: { route }, value: sum },
        { suffix: "_count", labels: { route }, value: count },
      );
    }
    return {
      name,
      type: "histogram",
      help: "HTTP request latency by route.",
      samples,
    };
  }
}
