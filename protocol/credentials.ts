/**
 * Credentials files: what `deno task kms:enroll NAME --credentials FILE`
 * writes (mode 0600) and the client (`--credentials FILE`) and the dashboard
 * (its operator credential) read, so a token never has to appear on a
 * command line or a process list.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { formatCredentials, parseCredentials } from "./credentials.ts";
 *
 * const credentials = { device_id: "Soldier_Alpha", token: "t0k3n-0123456789", role: "device" } as const;
 * const text = formatCredentials(credentials);
 * assertEquals(parseCredentials(text), { ok: true, credentials });
 * assertEquals(parseCredentials("{}").ok, false);
 * ```
 *
 * @module
 */

import { isDeviceId } from "./types.ts";

/** What an enrolled identity may do at the KMS. */
export type Role = "device" | "operator";

/** One enrolled identity's credentials. */
export interface Credentials {
  /** The enrolled name (a device id, or an operator's name). */
  device_id: string;
  /** Its bearer token at the KMS. */
  token: string;
  /** What it may do. */
  role: Role;
}

/** The outcome of {@linkcode parseCredentials}. */
export type CredentialsCheck =
  | { ok: true; credentials: Credentials }
  | { ok: false; reason: string };

/** The file's text: one JSON object and a newline. */
export function formatCredentials(credentials: Credentials): string {
  return JSON.stringify(credentials) + "\n";
}

/** Reads a credentials file's text, saying what is wrong with a bad one. */
export function parseCredentials(text: string): CredentialsCheck {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ok: false, reason: "not JSON" };
  }
  if (typeof body !== "object" || body === null) {
    return { ok: false, reason: "not a JSON object" };
  }
  const { device_id, token, role } = body as Record<string, unknown>;
  if (!isDeviceId(device_id)) {
    return { ok: false, reason: "device_id is missing or not a device id" };
  }
  if (typeof token !== "string" || !/^[\x21-\x7e]{16,256}$/.test(token)) {
    return { ok: false, reason: "token is missing or malformed" };
  }
  if (role !== "device" && role !== "operator") {
    return { ok: false, reason: 'role must be "device" or "operator"' };
  }
  return { ok: true, credentials: { device_id, token, role } };
}
