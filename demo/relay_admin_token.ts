/**
 * The relay's admin token for the demo: the file the relay's
 * `--admin-token-file` and the dashboard's `--relay-token-file` name, so the
 * dashboard's network view can read the relay's `GET /devices`. Made once
 * (256 random bits, owner-only), kept across demo restarts.
 *
 * @module
 */

import { PROJECT_ROOT } from "../common/service_process.ts";

/** The file's name in the credentials folder. */
export const RELAY_ADMIN_TOKEN_FILE = "relay_admin.token";

/**
 * The admin token file in `credentialsDir` (relative to the project root),
 * written with a new token if it is missing.
 *
 * @example
 * ```ts ignore
 * import { ensureRelayAdminToken } from "./relay_admin_token.ts";
 * const file = await ensureRelayAdminToken("credentials");
 * // "credentials/relay_admin.token"
 * ```
 */
export async function ensureRelayAdminToken(
  credentialsDir: string,
): Promise<string> {
  const file = `${credentialsDir}/${RELAY_ADMIN_TOKEN_FILE}`;
  const path = `${PROJECT_ROOT}${file}`;
  const present = await Deno.stat(path).then(() => true, () => false);
  if (present) return file;
  await Deno.mkdir(`${PROJECT_ROOT}${credentialsDir}`, { recursive: true });
  const token = crypto.getRandomValues(new Uint8Array(32))
    .toBase64({ alphabet: "base64url", omitPadding: true });
  await Deno.writeTextFile(path, `${token}\n`, { mode: 0o600 });
  return file;
}
