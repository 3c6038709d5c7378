/**
 * The caller of an authenticated endpoint: its bearer token checked against
 * the enrolled SAEs. This is the one place a failed authentication is
 * audited (`AUTH_FAILED`) and refused with 401.
 *
 * @module
 */

import { identify } from "./auth.ts";
import type { Kms } from "./context.ts";
import { HttpError } from "./http.ts";

/**
 * The SAE id the request's bearer token belongs to; otherwise an
 * `AUTH_FAILED` audit entry (tagged with `options.api` when given) and a 401
 * HttpError.
 *
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { importAesKey } from "../protocol/mod.ts";
 * import { callerSae } from "./caller.ts";
 * import { parseKmsConfig } from "./config.ts";
 * import { createKms } from "./context.ts";
 * import { HttpError } from "./http.ts";
 * import { KmsStore } from "./store.ts";
 *
 * const kms = createKms(parseKmsConfig([], () => undefined), {
 *   store: new KmsStore(":memory:"),
 *   masterKey: await importAesKey(new Uint8Array(32)),
 *   log: () => {},
 * });
 * const request = new Request("http://kms/api/v1/keys/SAE_B/status");
 * assertThrows(() => callerSae(request, kms, { api: "etsi" }), HttpError, "missing bearer token");
 * assertEquals(kms.store.recentAudit(1)[0].message, "api=etsi path=/api/v1/keys/SAE_B/status");
 * ```
 */
export function callerSae(
  request: Request,
  kms: Kms,
  options: { api?: string } = {},
): string {
  const identity = identify(request.headers.get("authorization"), kms.store);
  if (identity.ok) return identity.sae;
  const path = new URL(request.url).pathname;
  kms.audit.record(
    "AUTH_FAILED",
    options.api ? `api=${options.api} path=${path}` : `path=${path}`,
  );
  throw new HttpError(401, "unauthorized", {
    message: identity.reason === "unknown_token"
      ? "bearer token not recognised"
      : "missing bearer token: Authorization: Bearer <token> (enroll with deno task kms:enroll)",
    headers: { "www-authenticate": 'Bearer realm="qstcs-kms"' },
  });
}
