/**
 * Signed statements: a JSON payload and the KMS's Ed25519 signature of its
 * bytes, as `base64url(payload) "." base64url(signature)`. Relay tickets and
 * room memberships are such statements, each under its own signing context
 * so a signature made for one never verifies as the other.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { generateIdentity } from "./identity.ts";
 * import { readStatement, signStatement } from "./signed_statement.ts";
 *
 * const kms = await generateIdentity();
 * const text = await signStatement(kms, { context: "demo-v1", payload: { a: 1 } });
 * const options = {
 *   context: "demo-v1",
 *   kmsKey: kms.publicKey,
 *   maxLength: 256,
 *   read: (body: Record<string, unknown>) =>
 *     typeof body.a === "number" ? { a: body.a } : null,
 * };
 * assertEquals(await readStatement(text, options), { ok: true, payload: { a: 1 } });
 * const other = await readStatement(text, { ...options, context: "other-v1" });
 * assertEquals(other, { ok: false, reason: "bad_signature" });
 * ```
 *
 * @module
 */

import { type Identity, signMessage, verifyMessage } from "./identity.ts";

/** Why a statement was not read. */
export type StatementRefusal = "malformed" | "bad_signature";

/** The outcome of {@linkcode readStatement}. */
export type StatementRead<T> =
  | { ok: true; payload: T }
  | { ok: false; reason: StatementRefusal };

/** How {@linkcode readStatement} reads and checks a statement. */
export interface ReadStatementOptions<T> {
  /** The signing context the statement must have been signed under. */
  context: string;
  /** The KMS's Ed25519 public key. */
  kmsKey: Uint8Array;
  /** Longest accepted text, so a hostile one costs nothing to refuse. */
  maxLength: number;
  /** The payload's fields checked, or `null` when they are not a payload. */
  read: (body: Record<string, unknown>) => T | null;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const BASE64URL = { alphabet: "base64url", omitPadding: true } as const;

/** Signs `payload`'s JSON under `context` with the KMS's identity. */
export async function signStatement(
  kms: Identity,
  options: { context: string; payload: unknown },
): Promise<string> {
  const message = encoder.encode(JSON.stringify(options.payload));
  const signature = await signMessage(kms, {
    context: options.context,
    message,
  });
  return `${message.toBase64(BASE64URL)}.${signature.toBase64(BASE64URL)}`;
}

/**
 * Reads a statement from the network: its form and payload fields (a text
 * that is not one is `malformed`, whoever signed it), then the KMS's
 * signature under `context`.
 */
export async function readStatement<T>(
  text: unknown,
  options: ReadStatementOptions<T>,
): Promise<StatementRead<T>> {
  const parts = readParts(text, options.maxLength);
  if (!parts) return { ok: false, reason: "malformed" };
  const body = readObject(parts.message);
  const payload = body && options.read(body);
  if (!payload) return { ok: false, reason: "malformed" };
  const signed = await verifyMessage(options.kmsKey, {
    context: options.context,
    message: parts.message,
    signature: parts.signature,
  });
  return signed
    ? { ok: true, payload }
    : { ok: false, reason: "bad_signature" };
}

/** Clock difference between the KMS and a verifier tolerated at both ends, in s. */
export const STATEMENT_CLOCK_SKEW_SECONDS = 60;

/**
 * Whether a statement valid from `issued_at` to `expires_at` (Unix seconds)
 * is valid at `now`, give or take {@linkcode STATEMENT_CLOCK_SKEW_SECONDS}.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { validityAt } from "./signed_statement.ts";
 *
 * const statement = { issued_at: 1000, expires_at: 2000 };
 * assertEquals(validityAt(statement, 1500), "valid");
 * assertEquals(validityAt(statement, 2100), "expired");
 * assertEquals(validityAt(statement, 900), "not_yet_valid");
 * ```
 */
export function validityAt(
  statement: { issued_at: number; expires_at: number },
  now: number,
): "valid" | "expired" | "not_yet_valid" {
  if (statement.expires_at + STATEMENT_CLOCK_SKEW_SECONDS < now) {
    return "expired";
  }
  if (statement.issued_at - STATEMENT_CLOCK_SKEW_SECONDS > now) {
    return "not_yet_valid";
  }
  return "valid";
}

/** Whether `value` is a Unix time in whole seconds. */
export function isUnixSeconds(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function readObject(bytes: Uint8Array): Record<string, unknown> | null {
  try {
    const body: unknown = JSON.parse(decoder.decode(bytes));
    return typeof body === "object" && body !== null && !Array.isArray(body)
      ? body as Record<string, unknown>
      : null;
  } catch {
    return null;
  }
}

function readParts(
  text: unknown,
  maxLength: number,
): { message: Uint8Array; signature: Uint8Array } | null {
  if (typeof text !== "string" || text.length > maxLength) return null;
  const [message, signature, extra] = text.split(".");
  if (extra !== undefined || !message || !signature) return null;
  try {
    return {
      message: Uint8Array.fromBase64(message, BASE64URL),
      signature: Uint8Array.fromBase64(signature, BASE64URL),
    };
  } catch {
    return null;
  }
}
