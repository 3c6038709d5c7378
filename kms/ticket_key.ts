/**
 * The KMS's relay-ticket signing key: an Ed25519 key pair made at first
 * start. The private half stays in `DATA/ticket_key` (PKCS #8, mode 0600);
 * the public half is written to `DATA/ticket_key.pub` as base64url text,
 * the file relays take with `--ticket-key FILE`.
 *
 * @module
 */

import {
  generateIdentity,
  type Identity,
  loadIdentity,
  publicKeyText,
  TICKET_PUBLIC_KEY_FILE,
} from "../protocol/mod.ts";
import { loadKeyFile } from "./master_key.ts";

/** File name of the ticket signing key inside the data directory. */
export const TICKET_KEY_FILE = "ticket_key";
/** File name of its public key (base64url text) inside the data directory. */

/**
 * Loads the ticket key from `dir`, creating it on first use, and (re)writes
 * the public key file from it.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { readPublicKey, TICKET_PUBLIC_KEY_FILE } from "../protocol/mod.ts";
 * import { loadTicketKey } from "./ticket_key.ts";
 *
 * const dir = await Deno.makeTempDir();
 * const key = await loadTicketKey(dir);
 * assertEquals((await loadTicketKey(dir)).publicKey, key.publicKey);
 * const text = await Deno.readTextFile(`${dir}/${TICKET_PUBLIC_KEY_FILE}`);
 * assertEquals(readPublicKey(text), { ok: true, key: key.publicKey });
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadTicketKey(dir: string): Promise<Identity> {
  const pkcs8 = await loadKeyFile(
    `${dir}/${TICKET_KEY_FILE}`,
    async () => (await generateIdentity()).pkcs8,
  );
  const publicKey = await publicKeyOf(pkcs8);
  const text = publicKeyText(publicKey) + "\n";
  const pubPath = `${dir}/${TICKET_PUBLIC_KEY_FILE}`;
  const written = await Deno.readTextFile(pubPath).catch(() => "");
  if (written !== text) await Deno.writeTextFile(pubPath, text);
  return await loadIdentity({ publicKey, pkcs8 });
}

/** The public key of a PKCS #8 Ed25519 key (its JWK `x`). */
async function publicKeyOf(pkcs8: Uint8Array): Promise<Uint8Array> {
  // Imported extractable only here, to read the public half; the signing
  // key loadIdentity returns is not extractable.
  const key = await crypto.subtle.importKey(
    "pkcs8",
    pkcs8 as Uint8Array<ArrayBuffer>,
    { name: "Ed25519" },
    true,
    ["sign"],
  );
  const { x } = await crypto.subtle.exportKey("jwk", key);
  return Uint8Array.fromBase64(x!, { alphabet: "base64url" });
}
