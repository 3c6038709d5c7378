/**
 * The caller of an authenticated endpoint: its bearer token checked against
 * the enrolled SAEs, devices and operators. This is the one place a failed
 * authentication is audited (`AUTH_FAILED`) and refused with 401, and a
 * caller of the wrong role (`FORBIDDEN`) with 403; both rows are
 * rate-limited per source host.
 *
 * @module
 */

import type { Role } from "../protocol/mod.ts";
import { identify } from "./auth.ts";
import { HttpError } from "./http.ts";
import type { RouteContext } from "./router.ts";
import type { Enrollment } from "./store.ts";

/**
 * The enrollment the request's bearer token belongs to; otherwise an
 * `AUTH_FAILED` audit row (with the source, and `options.api` when given)
 * and a 401 HttpError.
 *
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { generateIdentity, importAesKey } from "../protocol/mod.ts";
 * import { authenticate } from "./caller.ts";
 * import { parseKmsConfig } from "./config.ts";
 * import { createKms } from "./context.ts";
 * import { HttpError } from "./http.ts";
 * import { KmsStore } from "./store.ts";
 *
 * const kms = createKms(parseKmsConfig([], () => undefined), {
 *   store: new KmsStore(":memory:"),
 *   masterKey: await importAesKey(new Uint8Array(32)),
 *   ticketKey: await generateIdentity(),
 *   log: () => {},
 * });
 * const request = new Request("http://kms/api/v1/keys/SAE_B/status");
 * const context = { kms, params: {}, source: { address: "10.0.0.7:4000", host: "10.0.0.7" } };
 * assertThrows(() => authenticate(request, context, { api: "etsi" }), HttpError, "missing bearer token");
 * assertEquals(
 *   kms.store.recentAudit(1)[0].message,
 *   "source=10.0.0.7:4000 api=etsi path=/api/v1/keys/SAE_B/status",
 * );
 * ```
 */
export function authenticate(
  request: Request,
  context: RouteContext,
  options: { api?: string } = {},
): Enrollment {
  const { kms, source } = context;
  const identity = identify(request.headers.get("authorization"), kms.store);
  if (identity.ok) return identity.caller;
  const path = new URL(request.url).pathname;
  const api = options.api ? `api=${options.api} ` : "";
  kms.audit.limited(
    "AUTH_FAILED",
    `source=${source.address} ${api}path=${path}`,
    { source: source.host },
  );
  throw new HttpError(401, "unauthorized", {
    message: identity.reason === "unknown_token"
      ? "bearer token not recognised"
      : "missing bearer token: Authorization: Bearer <token> (enroll with deno task kms:enroll)",
    headers: { "www-authenticate": 'Bearer realm="qstcs-kms"' },
  });
}

/**
 * Refuses `options.caller` unless its role is `options.role`: a 403 whose
 * `options.message` says what the endpoint needs, and a `FORBIDDEN` row.
 */
export function requireRole(
  request: Request,
  context: RouteContext,
  options: { caller: Enrollment; role: Role; message: string },
): void {
  const { caller } = options;
  if (caller.role === options.role) return;
  const { kms, source } = context;
  kms.audit.limited(
    "FORBIDDEN",
    `actor=${caller.name} source=${source.address} role=${caller.role} path=${
      new URL(request.url).pathname
    }`,
    { source: source.host },
  );
  throw new HttpError(403, "forbidden", { message: options.message });
}

/**
 * Unless the KMS runs `--open`, the caller must hold the device token of
 * `options.device`: 401 without a known token, 403 for an operator's
 * (`options.purpose` says what only devices get) or another device's.
 */
export function authorizeDevice(
  request: Request,
  context: RouteContext,
  options: { device: string; purpose: string },
): void {
  if (context.kms.config.open) return;
  const caller = authenticate(request, context);
  requireRole(request, context, {
    caller,
    role: "device",
    message:
      `${caller.name} is an operator: ${options.purpose} are for devices`,
  });
  if (caller.name !== options.device) {
    throw new HttpError(403, "forbidden", {
      message: `this token belongs to ${caller.name}, not ${options.device}`,
    });
  }
}

/**
 * Unless the KMS runs `--open`, the caller must hold an operator's token
 * (401 without a known token, 403 with a device's); returns the actor its
 * audit rows name (`anonymous` under `--open`).
 */
export function authorizeOperator(
  request: Request,
  context: RouteContext,
): string {
  if (context.kms.config.open) return "anonymous";
  const caller = authenticate(request, context);
  const path = new URL(request.url).pathname;
  requireRole(request, context, {
    caller,
    role: "operator",
    message:
      `${caller.name} holds a device credential: ${path} needs an operator credential (deno task kms:enroll NAME --role operator)`,
  });
  return caller.name;
}
