/**
 * The KMS's HTTP handler: one route table for the pair-key API, the
 * operator's endpoints and ETSI GS QKD 014, inside the wrappers every
 * request passes: the latency metric, then the error renderer.
 *
 * @module
 */

import type { LatencyHistogram } from "../common/prometheus.ts";
import type { PeerCertificate } from "../common/tls_peer.ts";
import type { Kms } from "./context.ts";
import {
  decKeys,
  encKeys,
  ETSI_LABEL,
  etsiRoute,
  etsiStatus,
  unknownOperation,
} from "./etsi_routes.ts";
import { EtsiError, HttpError, json } from "./http.ts";
import {
  createSession,
  getLinkStatus,
  getSessionKey,
  joinSession,
  listSessions,
} from "./key_routes.ts";
import { forceAttack, reset, setEve } from "./operator_routes.ts";
import { auditQuery } from "./audit_query_routes.ts";
import { acknowledgeIncident } from "./incident_routes.ts";
import { linkHistory } from "./link_history_routes.ts";
import { events, health, metrics, ready } from "./ops_routes.ts";
import {
  type Handler,
  noRoute,
  type Route,
  RouteTable,
  sourceOf,
} from "./router.ts";
import { joinRoom, leaveRoom, listRooms, roomKey } from "./room_routes.ts";
import { relayTicket, ticketKey } from "./ticket_routes.ts";

/**
 * Records a BusyBox wget's request as the router guard's heartbeat (the
 * guard polls `/link_status`; the dashboard shows it alive).
 */
function routerHeartbeat(handler: Handler): Handler {
  return (request, context) => {
    if (/^Wget/i.test(request.headers.get("user-agent") ?? "")) {
      context.kms.routerLastSeen = new Date().toISOString();
    }
    return handler(request, context);
  };
}

/** Every route of the KMS. */
export const ROUTES: readonly Route[] = [
  // The pair-key API.
  { path: "/get_session_key", methods: { POST: getSessionKey } },
  { path: "/link_status", methods: { GET: routerHeartbeat(getLinkStatus) } },
  { path: "/force_attack", methods: { POST: forceAttack } },
  { path: "/trigger_attack", methods: { POST: forceAttack } },
  { path: "/reset", methods: { POST: reset } },
  { path: "/create_session", methods: { POST: createSession } },
  { path: "/join_session", methods: { POST: joinSession } },
  { path: "/sessions", methods: { GET: listSessions } },
  { path: "/activate_eve", methods: { POST: setEve(true) } },
  { path: "/deactivate_eve", methods: { POST: setEve(false) } },
  // Relay tickets.
  { path: "/ticket_key", methods: { GET: ticketKey } },
  { path: "/relay_ticket", methods: { POST: relayTicket } },
  // Squad rooms.
  { path: "/rooms", methods: { GET: listRooms } },
  { path: "/rooms/join", methods: { POST: joinRoom } },
  { path: "/rooms/leave", methods: { POST: leaveRoom } },
  { path: "/rooms/key", methods: { POST: roomKey } },
  // The operator's endpoints.
  { path: "/healthz", methods: { GET: health } },
  { path: "/readyz", methods: { GET: ready } },
  { path: "/metrics", methods: { GET: metrics } },
  { path: "/events", methods: { GET: events } },
  // The SOC's evidence (issue 18).
  { path: "/link_history", methods: { GET: linkHistory } },
  { path: "/audit", methods: { GET: auditQuery } },
  { path: "/incidents/acknowledge", methods: { POST: acknowledgeIncident } },
  // ETSI GS QKD 014, errors in the standard's shape.
  etsiRoute("/api/v1/keys/:sae/status", { GET: etsiStatus }),
  etsiRoute("/api/v1/keys/:sae/enc_keys", { GET: encKeys, POST: encKeys }),
  etsiRoute("/api/v1/keys/:sae/dec_keys", { GET: decKeys, POST: decKeys }),
  etsiRoute("/api/v1/keys/:sae/:operation", { "*": unknownOperation }),
  // Other paths under the ETSI prefix: the common 404, counted as ETSI.
  { path: "/api/v1/keys/*", label: ETSI_LABEL, methods: { "*": noRoute } },
];

/** What a serve handler is told about the connection besides the request. */
export interface ConnectionInfo {
  /** The peer's address (`Deno.ServeHandlerInfo` and node:http adapters). */
  remoteAddr: Deno.Addr;
  /** The verified client certificate (the mutual-TLS listener's). */
  peerCertificate?: PeerCertificate;
}

type Serve = (request: Request, info?: ConnectionInfo) => Promise<Response>;

/** Observes each request's duration under its route's label. */
function withLatency(
  serve: Serve,
  options: { histogram: LatencyHistogram; routes: RouteTable },
): Serve {
  const { histogram, routes } = options;
  return async (request, info) => {
    const start = performance.now();
    const response = await serve(request, info);
    const label = routes.label(new URL(request.url).pathname);
    histogram.observe(label, (performance.now() - start) / 1000);
    return response;
  };
}

/**
 * Turns a thrown HttpError into its own response, anything else into a
 * 500 that says nothing of the internals.
 */
function withErrorRenderer(serve: Serve): Serve {
  return async (request, info) => {
    try {
      return await serve(request, info);
    } catch (error) {
      if (error instanceof HttpError) return error.render();
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
      }, { status: 500 });
    }
  };
}

/**
 * The request handler for `Deno.serve` (or any server passing the
 * connection's `info.remoteAddr`, which audit rows show as `source=`).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { generateIdentity, importAesKey } from "../protocol/mod.ts";
 * import { parseKmsConfig } from "./config.ts";
 * import { closeKms, createKms } from "./context.ts";
 * import { createHandler } from "./server.ts";
 * import { KmsStore } from "./store.ts";
 *
 * const kms = createKms(parseKmsConfig([], () => undefined), {
 *   store: new KmsStore(":memory:"),
 *   masterKey: await importAesKey(new Uint8Array(32)),
 *   ticketKey: await generateIdentity(),
 *   log: () => {},
 * });
 * const handle = createHandler(kms); // Deno.serve({ port: 8000 }, handle)
 * const remoteAddr = { transport: "tcp", hostname: "10.0.0.7", port: 51234 } as const;
 * const response = await handle(new Request("http://kms/link_status"), { remoteAddr });
 * assertEquals((await response.json()).status, "GREEN");
 * closeKms(kms);
 * ```
 */
export function createHandler(kms: Kms): Serve {
  const routes = new RouteTable(ROUTES);
  return withLatency(
    withErrorRenderer((request, info) =>
      routes.handle(request, { kms, source: sourceOf(info?.remoteAddr) })
    ),
    { histogram: kms.latency, routes },
  );
}

/**
 * The routes of the mutual-TLS listener: ETSI GS QKD 014 only, every other
 * path a 404 in the standard's error shape (`{message}`, which ETSI
 * clients parse from any non-200 answer).
 */
export const ETSI_TLS_ROUTES: readonly Route[] = [
  ...ROUTES.filter((route) => route.label === ETSI_LABEL),
  {
    path: "/*",
    label: "other",
    methods: {
      "*": (request) => {
        throw new EtsiError(
          404,
          `no ETSI GS QKD 014 method at ${
            new URL(request.url).pathname
          }: this port serves /api/v1/keys/{SAE_ID}/status, enc_keys and dec_keys`,
        );
      },
    },
  },
];

/**
 * The handler of the mutual-TLS listener: the ETSI routes, the caller named
 * by the connection's verified client certificate (`info.peerCertificate`),
 * never by a bearer token. A request without a verified certificate cannot
 * arrive (the handshake refuses it); if one does, it gets a 401.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { generateIdentity, importAesKey } from "../protocol/mod.ts";
 * import { parseKmsConfig } from "./config.ts";
 * import { closeKms, createKms } from "./context.ts";
 * import { createEtsiTlsHandler } from "./server.ts";
 * import { KmsStore } from "./store.ts";
 *
 * const kms = createKms(parseKmsConfig([], () => undefined), {
 *   store: new KmsStore(":memory:"),
 *   masterKey: await importAesKey(new Uint8Array(32)),
 *   ticketKey: await generateIdentity(),
 *   log: () => {},
 * });
 * kms.store.enrollSae("SAE_A", "hash-a");
 * const handle = createEtsiTlsHandler(kms);
 * const remoteAddr = { transport: "tcp", hostname: "10.0.0.7", port: 51234 } as const;
 * const peerCertificate = { fingerprint256: "ab".repeat(32), subjectCN: "SAE_A" };
 * const status = await handle(new Request("https://kms/api/v1/keys/SAE_B/status"), { remoteAddr, peerCertificate });
 * assertEquals((await status.json()).master_SAE_ID, "SAE_A");
 * const other = await handle(new Request("https://kms/link_status"), { remoteAddr, peerCertificate });
 * assertEquals(other.status, 404);
 * assertEquals(typeof (await other.json()).message, "string");
 * closeKms(kms);
 * ```
 */
export function createEtsiTlsHandler(kms: Kms): Serve {
  const routes = new RouteTable(ETSI_TLS_ROUTES);
  return withLatency(
    withErrorRenderer((request, info) => {
      const peer = info?.peerCertificate;
      if (!peer) {
        throw new EtsiError(401, "a verified client certificate is required");
      }
      return routes.handle(request, {
        kms,
        source: sourceOf(info?.remoteAddr),
        peer,
      });
    }),
    { histogram: kms.latency, routes },
  );
}
