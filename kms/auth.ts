/**
 * Bearer tokens for SAEs and devices: random 32-byte tokens, stored only as
 * SHA-256 hashes, enrolled with `deno task kms:enroll <SAE_ID>`.
 *
 * @module
 */

import { sha256 } from "../quantum/mod.ts";
import { HttpError } from "./http.ts";
import type { KmsStore } from "./store.ts";

/**
 * A new random token (base64url, 43 characters).
 *
 * @example
 * ```ts
 * import { newToken } from "./auth.ts";
 * console.log(newToken().length); // 43
 * ```
 */
export function newToken(): string {
  return crypto.getRandomValues(new Uint8Array(32)).toBase64({
    alphabet: "base64url",
    omitPadding: true,
  });
}

/** Lowercase hex SHA-256 of a token, as stored. */
export function tokenHash(token: string): string {
  return sha256(token).toHex();
}

/**
 * The SAE id the request's bearer token belongs to, or a 401 HttpError.
 */
export function authenticate(
  request: Request,
  store: KmsStore,
): string {
  const header = request.headers.get("authorization") ?? "";
  const match = /^Bearer\s+([A-Za-z0-9_-]{20,128})$/.exec(header);
  const sae = match ? store.saeForTokenHash(tokenHash(match[1])) : undefined;
  if (!sae) {
    throw new HttpError(401, "unauthorized", {
      message: match
        ? "bearer token not recognised"
        : "missing bearer token: Authorization: Bearer <token> (enroll with deno task kms:enroll)",
      headers: { "www-authenticate": 'Bearer realm="qstcs-kms"' },
    });
  }
  return sae;
}
