/**
 * Bearer tokens for SAEs and devices: random 32-byte tokens, stored only as
 * SHA-256 hashes, enrolled with `deno task kms:enroll <SAE_ID>`.
 *
 * @module
 */

import { sha256 } from "../quantum/mod.ts";
import type { Enrollment, KmsStore } from "./store.ts";

/**
 * A new random token (base64url, 43 characters, never starting with "-").
 *
 * @example
 * ```ts
 * import { assertMatch } from "@std/assert";
 * import { newToken } from "./auth.ts";
 *
 * assertMatch(newToken(), /^[A-Za-z0-9_][A-Za-z0-9_-]{42}$/);
 * ```
 */
export function newToken(): string {
  // A token that began with "-" would read as a flag after `--token` on a
  // command line (one in 64 did); drawing again costs under 0.03 bits.
  for (;;) {
    const token = crypto.getRandomValues(new Uint8Array(32)).toBase64({
      alphabet: "base64url",
      omitPadding: true,
    });
    if (!token.startsWith("-")) return token;
  }
}

/** Lowercase hex SHA-256 of a token, as stored. */
export function tokenHash(token: string): string {
  return sha256(token).toHex();
}

/** Who an `Authorization` header speaks for, or why nobody. */
export type Identity =
  | { ok: true; caller: Enrollment }
  | { ok: false; reason: "missing_token" | "unknown_token" };

/**
 * The enrolled SAE, device or operator an `Authorization: Bearer <token>`
 * header belongs to.
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
 * assertEquals(identify(`Bearer ${token}`, store), {
 *   ok: true,
 *   caller: { name: "SAE_A", role: "device", publicKey: null },
 * });
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
  const caller = store.enrollmentForTokenHash(tokenHash(match[1]));
  return caller ? { ok: true, caller } : { ok: false, reason: "unknown_token" };
}
