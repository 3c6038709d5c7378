/**
 * The KMS's HTTP handler: routing, errors as JSON, latency metrics, and the
 * router guard's heartbeat.
 *
 * @module
 */

import type { Kms } from "./context.ts";
import { handleEtsi } from "./etsi_routes.ts";
import { HttpError, json } from "./http.ts";
import { renderMetrics } from "../common/prometheus.ts";
import { ATTACKS_DETECTED, KEYS_ISSUED } from "./quantum_link.ts";
import { type Handler, linkStatus, SEED_ROUTES } from "./seed_routes.ts";

const OPS_ROUTES: Record<string, Record<string, Handler>> = {
  "/healthz": { GET: (_request, kms) => json(health(kms)) },
  "/metrics": { GET: (_request, kms) => metrics(kms) },
  "/events": {
    GET: (_request, kms) =>
      kms.hub.subscribe(() => [
        { event: "state", data: linkStatus(kms) },
        ...kms.store.recentAudit(50).map((data) => ({
          event: "audit" as const,
          data,
        })),
      ]),
  },
};

const ROUTES = { ...SEED_ROUTES, ...OPS_ROUTES };

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

function health(kms: Kms) {
  return {
    ok: true,
    status: kms.link.status,
    subscribers: kms.hub.size,
    sandbox: sandbox(kms),
  };
}

function metrics(kms: Kms): Response {
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
      help: "BB84 runs whose QBER was above the 11% threshold.",
      samples: [{ value: kms.store.counter(ATTACKS_DETECTED) }],
    },
    {
      name: "qstcs_kms_qber",
      type: "gauge",
      help: "QBER of the latest BB84 run.",
      samples: [{ value: kms.link.qber }],
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
}

async function route(request: Request, kms: Kms): Promise<Response> {
  const etsi = await handleEtsi(request, kms);
  if (etsi) return etsi;
  const path = new URL(request.url).pathname;
  const methods = ROUTES[path];
  if (!methods) {
    throw new HttpError(404, "not_found", { message: `no route ${path}` });
  }
  const handler = methods[request.method];
  if (!handler) {
    const allow = Object.keys(methods).join(", ");
    throw new HttpError(405, "method_not_allowed", {
      message: `${request.method} ${path} not allowed: use ${allow}`,
      headers: { allow },
    });
  }
  if (
    path === "/link_status" &&
    /^Wget/i.test(request.headers.get("user-agent") ?? "")
  ) {
    // BusyBox wget is the router guard polling: the dashboard shows it alive.
    kms.routerLastSeen = new Date().toISOString();
  }
  return await handler(request, kms);
}

/**
 * The request handler for `Deno.serve`.
 *
 * @example
 * ```ts ignore
 * Deno.serve({ port: 8000 }, createHandler(kms));
 * ```
 */
export function createHandler(
  kms: Kms,
): (request: Request) => Promise<Response> {
  return async (request) => {
    const start = performance.now();
    let response: Response;
    try {
      response = await route(request, kms);
    } catch (error) {
      response = errorResponse(error, kms, request);
    }
    const path = new URL(request.url).pathname;
    const label = ROUTES[path]
      ? path
      : path.startsWith("/api/v1/keys/")
      ? "/api/v1/keys"
      : "other";
    kms.latency.observe(label, (performance.now() - start) / 1000);
    return response;
  };
}

function errorResponse(error: unknown, kms: Kms, request: Request): Response {
  if (error instanceof HttpError) {
    if (error.status === 401) {
      kms.audit.record("AUTH_FAILED", `path=${new URL(request.url).pathname}`);
    }
    return json({ error: error.code, message: error.message }, {
      status: error.status,
      headers: error.headers,
    });
  }
  // Never echo internals (or anything secret) to the caller; log the kind only.
  console.error(
    `[KMS] internal error on ${request.method} ${
      new URL(request.url).pathname
    }:`,
    error instanceof Error ? error.name : typeof error,
  );
  return json({
    error: "internal_error",
    message: "the KMS could not handle this request",
  }, {
    status: 500,
  });
}
