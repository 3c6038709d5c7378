/**
 * Bearer tokens for SAEs and devices: random 32-byte tokens, stored only as
 * SHA-256 hashes, enrolled with `deno task kms:enroll <SAE_ID>`.
 *
 * @module
 */

import { sha256 } from "../quantum/mod.ts";
import type { KmsStore } from "./store.ts";

/**
 * A new random token (base64url, 43 characters).
 *
 * @example
 * ```ts
 * import { assertMatch } from "@std/assert";
 * import { newToken } from "./auth.ts";
 *
 * assertMatch(newToken(), /^[A-Za-z0-9_-]{43}$/);
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

/** Who an `Authorization` header speaks for, or why nobody. */
export type Identity =
  | { ok: true; sae: string }
  | { ok: false; reason: "missing_token" | "unknown_token" };

/**
 * The SAE an `Authorization: Bearer <token>` header belongs to.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { identify, newToken, tokenHash } from "./auth.ts";
 * import { KmsStore } from "./store.ts";
 *
 * const store = new KmsStore(":memory:");
 * const token = newToken();
 * store.enrollSae("SAE_A", tokenHash(token));
 * assertEquals(identify(`Bearer ${token}`, store), { ok: true, sae: "SAE_A" });
 * assertEquals(identify(`Bearer ${newToken()}`, store), { ok: false, reason: "unknown_token" });
 * assertEquals(identify(null, store), { ok: false, reason: "missing_token" });
 * store.close();
 * ```
 */
export function identify(
  authorization: string | null,
  store: KmsStore,
): Identity {
  const match = /^Bearer\s+([A-Za-z0-9_-]{20,128})$/.exec(authorization ?? "");
  if (!match) return { ok: false, reason: "missing_token" };
  const sae = store.saeForTokenHash(tokenHash(match[1]));
  return sae ? { ok: true, sae } : { ok: false, reason: "unknown_token" };
}
