/**
 * The device's own state folder, `state/<DEVICE>/` (mode 0700, files
 * 0600): its Ed25519 identity key pair (`identity.json`, made on the device
 * at first start and never sent anywhere but its public half) and the keys
 * it pinned on first use (`pins.json`: the KMS's ticket key and each peer's
 * identity key), and its chat history and unconfirmed lines (`chat.bin`,
 * encrypted: chat_store.ts).
 *
 * @module
 */

import { ConfigError } from "../common/cli.ts";
import {
  generateIdentity,
  type Identity,
  loadIdentity,
} from "../protocol/mod.ts";
import { chatKey, ChatStore } from "./chat_store.ts";
import { KeyPins, readPins } from "./key_pins.ts";

/** The default state folder, relative to the working directory. */
export const DEFAULT_STATE_DIR = "state";

/** A device's state, loaded. */
export interface ClientState {
  /** The device's identity key pair. */
  identity: Identity;
  /** The keys it pinned. */
  pins: KeyPins;
  /** Its folder, for messages. */
  dir: string;
  /** Whether the identity was made just now (first start). */
  created: boolean;
  /** History and unconfirmed lines, encrypted at rest (chat_store.ts). */
  chat: ChatStore;
}

const BASE64URL = { alphabet: "base64url", omitPadding: true } as const;

/**
 * Opens (creating it at first start) `stateDir/deviceId/`.
 *
 * @throws {ConfigError} when the folder cannot be written or a file in it
 * is not what this client wrote.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { openClientState } from "./client_state.ts";
 * const dir = await Deno.makeTempDir();
 * const first = await openClientState(dir, "Soldier_Alpha");
 * const again = await openClientState(dir, "Soldier_Alpha");
 * assertEquals([first.created, again.created], [true, false]);
 * assertEquals(again.identity.publicKey, first.identity.publicKey);
 * assertEquals((await Deno.stat(`${dir}/Soldier_Alpha/identity.json`)).mode! & 0o777, 0o600);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function openClientState(
  stateDir: string,
  deviceId: string,
): Promise<ClientState> {
  const dir = `${stateDir}/${deviceId}`;
  return await explained(dir, async () => {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    await Deno.chmod(dir, 0o700);
    const { identity, created, key } = await loadOrCreateIdentity(
      `${dir}/identity.json`,
      deviceId,
    );
    const chat = await ChatStore.open(dir, { key, deviceId }).catch(
      (error) => {
        throw new ConfigError(error.message);
      },
    );
    const pinsPath = `${dir}/pins.json`;
    const pins = new KeyPins(
      readPins(await readIfThere(pinsPath)),
      (data) => writePrivate(pinsPath, JSON.stringify(data, null, 2) + "\n"),
    );
    return { identity, pins, dir, created, chat };
  });
}

async function loadOrCreateIdentity(
  path: string,
  deviceId: string,
): Promise<{ identity: Identity; created: boolean; key: CryptoKey }> {
  const text = await readIfThere(path);
  if (text === undefined) {
    const made = await generateIdentity();
    await writePrivate(
      path,
      JSON.stringify({
        algorithm: "Ed25519",
        public_key: made.publicKey.toBase64(BASE64URL),
        pkcs8: made.pkcs8.toBase64(BASE64URL),
      }) + "\n",
    );
    const key = await chatKey(made.pkcs8, deviceId);
    made.pkcs8.fill(0);
    return { identity: made, created: true, key };
  }
  await Deno.chmod(path, 0o600);
  try {
    const stored = JSON.parse(text);
    const pkcs8 = Uint8Array.fromBase64(stored.pkcs8, BASE64URL);
    const identity = await loadIdentity({
      publicKey: Uint8Array.fromBase64(stored.public_key, BASE64URL),
      pkcs8,
    });
    const key = await chatKey(pkcs8, deviceId);
    pkcs8.fill(0);
    return { identity, created: false, key };
  } catch {
    throw new ConfigError(
      `${path} is not an identity this client wrote: move it away to make a new identity (then re-enroll the device at the KMS)`,
    );
  }
}

async function readIfThere(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

// Written whole to a new file, then renamed: a crash never leaves half a
// key file.
async function writePrivate(path: string, text: string): Promise<void> {
  const temporary = `${path}.new`;
  await Deno.writeTextFile(temporary, text, { mode: 0o600 });
  await Deno.chmod(temporary, 0o600);
  await Deno.rename(temporary, path);
}

async function explained<T>(dir: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    if (error instanceof Deno.errors.NotCapable) {
      throw new ConfigError(
        `the client may keep its state only under ./${DEFAULT_STATE_DIR} (--state ${dir} is outside it)`,
      );
    }
    throw new ConfigError(
      `cannot use the state folder ${dir}: ${(error as Error).message}`,
    );
  }
}
