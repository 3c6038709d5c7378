/**
 * The operator's endpoints: `/healthz` (with the process's sandbox),
 * `/metrics` (Prometheus text) and `/events` (the dashboard's live feed).
 * `/events` replays the audit log (operator names, source addresses), so it
 * needs an operator's token unless the KMS runs `--open`. `/healthz` and
 * `/metrics` stay public: they show only counters, the link and latencies,
 * which `/link_status` (polled by the router guard without a token) already
 * publishes, and a Prometheus scraper holds no KMS token.
 *
 * @module
 */

import { renderMetrics } from "../common/prometheus.ts";
import { authorizeOperator } from "./caller.ts";
import type { Kms } from "./context.ts";
import { json } from "./http.ts";
import { linkStatus } from "./key_routes.ts";
import { KEYS_ISSUED } from "./quantum_link.ts";
import type { Handler } from "./router.ts";

/** What the running process may touch, as Deno reports it. */
function sandbox(kms: Kms) {
  const granted = (descriptor: Deno.PermissionDescriptor) =>
    Deno.permissions.querySync(descriptor).state === "granted";
  return {
    read_data_dir: granted({ name: "read", path: kms.config.dataDir }),
    read_root: granted({ name: "read", path: "/" }),
    write_root: granted({ name: "write", path: "/" }),
    run: granted({ name: "run" }),
    net_any: granted({ name: "net" }),
  };
}

/**
 * `GET /healthz`: up (`ok` false while the link's worker is down), whether
 * bearer tokens are required (`auth`: `required`, or `open` under
 * `--open`), the link status and whether its blocks run (`link`: `running`
 * or `down`), open streams and the sandbox.
 */
export const health: Handler = (_request, { kms }) =>
  json({
    ok: !kms.link.down,
    auth: kms.config.open ? "open" : "required",
    status: kms.link.status,
    link: kms.link.down ? "down" : "running",
    subscribers: kms.hub.size,
    sandbox: sandbox(kms),
  });

/**
 * `GET /readyz`: 200 once the link runs (a block arrived since the start)
 * or the pool holds a key, 503 before, or while the link's worker is down;
 * what `deno task demo` waits for before the soldiers ask for keys.
 */
export const ready: Handler = (_request, { kms }) => {
  const { blocks, pool_bits } = kms.link.report();
  const up = !kms.link.down && (blocks > 0 || pool_bits >= 256);
  return json(
    { ready: up, status: kms.link.status, blocks, pool_bits },
    { status: up ? 200 : 503 },
  );
};

/** `GET /metrics`: counters, the link and request latency, as Prometheus text. */
export const metrics: Handler = (_request, { kms }) => {
  const status = kms.link.status;
  const text = renderMetrics([
    {
      name: "qstcs_kms_keys_issued_total",
      type: "counter",
      help: "Session keys handed to devices.",
      samples: [{ value: kms.store.counter(KEYS_ISSUED) }],
    },
    {
      name: "qstcs_kms_attacks_detected_total",
      type: "counter",
      help: "Incidents: times the link's status turned RED.",
      samples: [{ value: kms.incidents.count }],
    },
    {
      name: "qstcs_kms_qber",
      type: "gauge",
      help: "QBER of the link's latest block.",
      samples: [{ value: kms.link.qber }],
    },
    {
      name: "qstcs_kms_pool_bits",
      type: "gauge",
      help: "Secret bits in the key pool.",
      samples: [{ value: kms.pool.bits }],
    },
    {
      name: "qstcs_kms_key_rate_bps",
      type: "gauge",
      help: "The simulated link's secret key rate over recent blocks, bits/s.",
      samples: [{ value: kms.link.report().key_rate_bps }],
    },
    {
      name: "qstcs_kms_link_status",
      type: "gauge",
      help: "1 for the current link status.",
      samples: (["GREEN", "YELLOW", "RED"] as const).map((s) => ({
        labels: { status: s },
        value: s === status ? 1 : 0,
      })),
    },
    {
      name: "qstcs_kms_active_sessions",
      type: "gauge",
      help: "Pairs and sessions holding a key.",
      samples: [{ value: kms.broker.activeSessions }],
    },
    kms.latency.metric("qstcs_kms_request_duration_seconds"),
  ]);
  return new Response(text, {
    headers: { "content-type": "text/plain; version=0.0.4" },
  });
};

/**
 * `GET /events`: the link state and the last 50 audit lines, then live
 * events; for operators unless `--open`.
 */
export const events: Handler = (request, context) => {
  authorizeOperator(request, context);
  const { kms } = context;
  return kms.hub.subscribe(() => [
    { event: "state", data: linkStatus(kms, { incidents: true }) },
    ...kms.store.recentAudit(50).map((data) => ({
      event: "audit" as const,
      data,
    })),
  ]);
};
