/**
 * The KMS's route table: which handler serves a path and method, and the
 * 404 and 405 answers when none does.
 *
 * @module
 */

import type { PeerCertificate } from "../common/tls_peer.ts";
import type { Kms } from "./context.ts";
import { HttpError } from "./http.ts";

/** Where a request came from, for audit rows and rate limits. */
export interface Source {
  /** `IP:PORT` (`[IPv6]:PORT`), as audit rows show it. */
  address: string;
  /** The IP alone: what refusals are rate-limited by. */
  host: string;
}

/** What a handler works with besides the request. */
export interface RouteContext {
  /** The KMS's state and services. */
  kms: Kms;
  /** The path's named parts, e.g. `sae` of `/api/v1/keys/:sae/status`. */
  params: Record<string, string>;
  /** The peer of the connection the request came on. */
  source: Source;
  /**
   * The verified client certificate, on the mutual-TLS listener only: there
   * it, not a bearer token, names the caller.
   */
  peer?: PeerCertificate;
}

/**
 * The {@linkcode Source} of a connection's remote address (a serve
 * handler's `info.remoteAddr`); `unknown` when there is none.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { sourceOf } from "./router.ts";
 *
 * const addr = { transport: "tcp", hostname: "10.0.0.7", port: 51234 } as const;
 * assertEquals(sourceOf(addr), { address: "10.0.0.7:51234", host: "10.0.0.7" });
 * assertEquals(sourceOf({ ...addr, hostname: "::1" }).address, "[::1]:51234");
 * assertEquals(sourceOf(undefined).address, "unknown");
 * ```
 */
export function sourceOf(addr: Deno.Addr | undefined): Source {
  if (!addr || !("hostname" in addr)) {
    return { address: "unknown", host: "unknown" };
  }
  const host = addr.hostname;
  const shown = host.includes(":") ? `[${host}]` : host;
  return { address: `${shown}:${addr.port}`, host };
}

/** A route handler. */
export type Handler = (
  request: Request,
  context: RouteContext,
) => Promise<Response> | Response;

/** One row of the route table. */
export interface Route {
  /** A fixed path (`/reset`) or a URLPattern pathname (`/api/v1/keys/:sae/status`). */
  path: string;
  /** The handler per HTTP method; a `*` entry serves every method. */
  methods: Readonly<Record<string, Handler>>;
  /** The route's name in the latency metric; default `path`. */
  label?: string;
  /** The refusal of a method the route does not serve; default {@linkcode methodNotAllowed}. */
  refuseMethod?: (request: Request, allow: string[]) => HttpError;
}

/** The refusal of a method, naming the ones allowed. */
export function methodNotAllowed(
  request: Request,
  allow: string[],
): HttpError {
  const path = new URL(request.url).pathname;
  return new HttpError(405, "method_not_allowed", {
    message: `${request.method} ${path} not allowed: use ${allow.join(", ")}`,
    headers: { allow: allow.join(", ") },
  });
}

/** The answer for a path no route serves. */
export function noRoute(request: Request): never {
  const path = new URL(request.url).pathname;
  throw new HttpError(404, "not_found", { message: `no route ${path}` });
}

interface Match {
  route: Route;
  params: Record<string, string>;
}

/**
 * Finds the route of a path: fixed paths by lookup, patterns in table order.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { RouteTable } from "./router.ts";
 *
 * const ok = () => new Response("ok");
 * const table = new RouteTable([
 *   { path: "/reset", methods: { POST: ok } },
 *   { path: "/api/v1/keys/:sae/status", label: "/api/v1/keys", methods: { GET: ok } },
 * ]);
 * assertEquals(table.match("/api/v1/keys/SAE_B/status")?.params, { sae: "SAE_B" });
 * assertEquals(table.label("/api/v1/keys/SAE_B/status"), "/api/v1/keys");
 * assertEquals(table.label("/reset"), "/reset");
 * assertEquals(table.label("/nowhere"), "other");
 * ```
 */
export class RouteTable {
  #fixed = new Map<string, Route>();
  #patterns: { route: Route; pattern: URLPattern }[] = [];

  constructor(routes: readonly Route[]) {
    for (const route of routes) {
      if (/[:*]/.test(route.path)) {
        const pattern = new URLPattern({ pathname: route.path });
        this.#patterns.push({ route, pattern });
      } else this.#fixed.set(route.path, route);
    }
  }

  /** The route serving `path` and the path's named parts, if any route does. */
  match(path: string): Match | undefined {
    const fixed = this.#fixed.get(path);
    if (fixed) return { route: fixed, params: {} };
    for (const { route, pattern } of this.#patterns) {
      const groups = pattern.exec({ pathname: path })?.pathname.groups;
      if (!groups) continue;
      const params: Record<string, string> = {};
      for (const [name, value] of Object.entries(groups)) {
        if (value !== undefined) params[name] = value;
      }
      return { route, params };
    }
    return undefined;
  }

  /** The latency metric's name for requests to `path`: its route's label, or "other". */
  label(path: string): string {
    const route = this.match(path)?.route;
    return route ? route.label ?? route.path : "other";
  }

  /** Serves a request with the matching route and method, or throws a 404 or 405. */
  async handle(
    request: Request,
    from: Omit<RouteContext, "params">,
  ): Promise<Response> {
    const path = new URL(request.url).pathname;
    const match = this.match(path);
    if (!match) noRoute(request);
    const { route, params } = match;
    const handler = own(route.methods, request.method) ??
      own(route.methods, "*");
    if (!handler) {
      const refuse = route.refuseMethod ?? methodNotAllowed;
      throw refuse(request, Object.keys(route.methods));
    }
    return await handler(request, { ...from, params });
  }
}

function own<T>(
  table: Readonly<Record<string, T>>,
  key: string,
): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
