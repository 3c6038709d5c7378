/**
 * The master key that seals undelivered ETSI keys at rest: 32 random bytes in
 * a file readable by the KMS's user only (mode 0600), created on first start.
 *
 * @module
 */

import { importAesKey, open, seal } from "../protocol/mod.ts";

/** File name of the master key inside the data directory. */
export const MASTER_KEY_FILE = "master.key";

const encoder = new TextEncoder();

/**
 * Loads the master key from `dir`, creating it (0600) when absent.
 *
 * @example
 * ```ts ignore
 * import { loadMasterKey } from "./master_key.ts";
 * const master = await loadMasterKey("data/kms");
 * ```
 */
export async function loadMasterKey(dir: string): Promise<CryptoKey> {
  const path = `${dir}/${MASTER_KEY_FILE}`;
  let raw: Uint8Array;
  try {
    raw = await Deno.readFile(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    raw = crypto.getRandomValues(new Uint8Array(32));
    await Deno.writeFile(path, raw, { mode: 0o600, createNew: true });
  }
  if (raw.length !== 32) {
    throw new Error(`${path} must hold 32 bytes, found ${raw.length}`);
  }
  await checkPrivateMode(path);
  return await importAesKey(raw);
}

/** Throws unless only the owner may read `path` (a key file). */
export async function checkPrivateMode(path: string): Promise<void> {
  const mode = (await Deno.stat(path)).mode;
  if (mode !== null && (mode & 0o077) !== 0) {
    throw new Error(
      `${path} is readable by others (mode ${
        (mode & 0o777).toString(8)
      }): chmod 600 it`,
    );
  }
}

/**
 * Seals `key` under the master key, bound to `options.context` (for ETSI
 * keys: the key id and both SAE ids); returns nonce || ciphertext || tag.
 *
 * @example
 * ```ts
 * import { assertEquals, assertRejects } from "@std/assert";
 * import { importAesKey } from "../protocol/mod.ts";
 * import { openAtRest, sealAtRest } from "./master_key.ts";
 *
 * const master = await importAesKey(crypto.getRandomValues(new Uint8Array(32)));
 * const key = new Uint8Array([1, 2, 3]);
 * const context = "k-1|SAE_A|SAE_B";
 * const sealed = await sealAtRest(master, key, { context });
 * assertEquals(await openAtRest(master, sealed, { context }), key);
 * await assertRejects(() =>
 *   openAtRest(master, sealed, { context: "k-1|SAE_A|SAE_C" })
 * );
 * ```
 */
export async function sealAtRest(
  master: CryptoKey,
  key: Uint8Array,
  options: { context: string },
): Promise<Uint8Array> {
  const sealed = await seal(master, key, {
    additionalData: encoder.encode(options.context),
  });
  const out = new Uint8Array(sealed.nonce.length + sealed.ciphertext.length);
  out.set(sealed.nonce);
  out.set(sealed.ciphertext, sealed.nonce.length);
  return out;
}

/** Opens what {@linkcode sealAtRest} sealed; rejects if anything was altered. */
export async function openAtRest(
  master: CryptoKey,
  blob: Uint8Array,
  options: { context: string },
): Promise<Uint8Array> {
  return await open(master, {
    nonce: blob.subarray(0, 12),
    ciphertext: blob.subarray(12),
  }, {
    additionalData: encoder.encode(options.context),
  });
}
