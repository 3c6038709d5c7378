/**
 * The chat kept on disk: recent history and the lines not yet confirmed,
 * in `state/<DEVICE>/chat.bin` (mode 0600), so a restarted client shows
 * what was said and still delivers what it had not.
 *
 * Encrypted at rest with AES-256-GCM (WebCrypto) under a key derived with
 * HKDF-SHA256 (RFC 5869) from the device's Ed25519 identity private key
 * (its PKCS #8 bytes in `identity.json`), salt `qstcs-chat-store-v1`, info
 * the device id; a random 96-bit nonce per write, the device id as
 * associated data. The file is unreadable without the identity file: it
 * protects a copied or backed-up `chat.bin`, not a laptop whose whole
 * `state/` folder is taken. Attachments are not kept (their bytes could be
 * large): an unconfirmed attachment is lost on restart, as the client says
 * when leaving.
 *
 * @module
 */

/** A line of history. */
export interface HistoryLine {
  /** Its message id (a received line's, so a copy is not shown again). */
  mid?: string;
  /** Who wrote it. */
  sender: string;
  /** Who it was for. */
  recipient: string;
  /** Its text (an attachment as `📎 name`). */
  text: string;
  /** When it was written (milliseconds since the epoch). */
  writtenAt: number;
}

/** An unconfirmed line, as kept. */
export interface SavedLine {
  /** Its message id (the same when sent again, so it arrives once). */
  mid: string;
  /** Who it is for. */
  peer: string;
  /** Its text. */
  text: string;
  /** When it was written. */
  writtenAt: number;
  /** Its number among the lines written to `peer`. */
  n?: number;
}

/** What the file holds. */
export interface SavedChat {
  /** Oldest first, at most {@linkcode MAX_HISTORY} lines. */
  history: HistoryLine[];
  /** The lines not yet confirmed. */
  outbox: SavedLine[];
  /** The last line number given per peer. */
  lineNumbers: Record<string, number>;
}

/** History lines kept. */
export const MAX_HISTORY = 1000;
/** The file's name in the device's state folder. */
export const CHAT_FILE = "chat.bin";

const SALT = new TextEncoder().encode("qstcs-chat-store-v1");
const NONCE_BYTES = 12;

/**
 * The AES-256-GCM key of a device's chat file, derived from its identity
 * private key (PKCS #8 bytes); not extractable.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { chatKey } from "./chat_store.ts";
 * const key = await chatKey(new Uint8Array(48), "Soldier_Alpha");
 * assertEquals([key.algorithm.name, key.extractable], ["AES-GCM", false]);
 * ```
 */
export async function chatKey(
  pkcs8: Uint8Array,
  deviceId: string,
): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey(
    "raw",
    pkcs8 as Uint8Array<ArrayBuffer>,
    "HKDF",
    false,
    ["deriveKey"],
  );
  return await crypto.subtle.deriveKey(
    {
      name: "HKDF",
      hash: "SHA-256",
      salt: SALT,
      info: new TextEncoder().encode(deviceId),
    },
    base,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

/**
 * A device's chat file: read once at start, written whole (to a new file,
 * then renamed) after every change, one write at a time.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { chatKey, ChatStore } from "./chat_store.ts";
 * const dir = await Deno.makeTempDir();
 * const key = await chatKey(new Uint8Array(48), "Soldier_Alpha");
 * const store = await ChatStore.open(dir, { key, deviceId: "Soldier_Alpha" });
 * store.addHistory({ sender: "Soldier_Alpha", recipient: "Soldier_Bravo", text: "hi", writtenAt: 1 });
 * await store.saved();
 * const again = await ChatStore.open(dir, { key, deviceId: "Soldier_Alpha" });
 * assertEquals(again.chat.history.map((line) => line.text), ["hi"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class ChatStore {
  /** What is kept; change it through the methods, which save it. */
  readonly chat: SavedChat;
  readonly #path: string;
  readonly #key: CryptoKey;
  readonly #aad: Uint8Array<ArrayBuffer>;
  #writing: Promise<void> = Promise.resolve();
  #failed?: (error: unknown) => void;

  private constructor(
    chat: SavedChat,
    options: { path: string; key: CryptoKey; aad: Uint8Array<ArrayBuffer> },
  ) {
    this.chat = chat;
    this.#path = options.path;
    this.#key = options.key;
    this.#aad = options.aad;
  }

  /**
   * Reads `dir/chat.bin` (empty when there is none).
   *
   * @throws {Error} when the file is there but cannot be decrypted: not
   * written by this device's identity, or altered.
   */
  static async open(
    dir: string,
    options: { key: CryptoKey; deviceId: string },
  ): Promise<ChatStore> {
    const path = `${dir}/${CHAT_FILE}`;
    const aad = new TextEncoder().encode(options.deviceId);
    let chat: SavedChat = { history: [], outbox: [], lineNumbers: {} };
    let bytes: Uint8Array | undefined;
    try {
      bytes = await Deno.readFile(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    if (bytes !== undefined) {
      try {
        const plain = await crypto.subtle.decrypt(
          {
            name: "AES-GCM",
            iv: bytes.slice(0, NONCE_BYTES),
            additionalData: aad,
          },
          options.key,
          bytes.slice(NONCE_BYTES),
        );
        chat = { ...chat, ...JSON.parse(new TextDecoder().decode(plain)) };
      } catch {
        throw new Error(
          `${path} cannot be decrypted with this device's identity key (altered, or another identity's): move it away to start without history`,
        );
      }
    }
    return new ChatStore(chat, { path, key: options.key, aad });
  }

  /** Calls `onError` when a write fails (the chat goes on, unsaved). */
  onError(onError: (error: unknown) => void): void {
    this.#failed = onError;
  }

  /** Adds a line to the history, forgetting the oldest beyond the limit. */
  addHistory(line: HistoryLine): void {
    this.chat.history.push(line);
    this.chat.history.splice(0, this.chat.history.length - MAX_HISTORY);
    this.#save();
  }

  /** Keeps `lines` as the unconfirmed ones, and the line numbers given. */
  setOutbox(lines: SavedLine[], lineNumbers: Record<string, number>): void {
    this.chat.outbox = lines;
    this.chat.lineNumbers = lineNumbers;
    this.#save();
  }

  /** Resolves when every change so far is on disk. */
  saved(): Promise<void> {
    return this.#writing;
  }

  #save(): void {
    const text = JSON.stringify(this.chat);
    this.#writing = this.#writing
      .then(() => this.#write(text))
      .catch((error) => this.#failed?.(error));
  }

  async #write(text: string): Promise<void> {
    const iv = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
    const sealed = new Uint8Array(
      await crypto.subtle.encrypt(
        { name: "AES-GCM", iv, additionalData: this.#aad },
        this.#key,
        new TextEncoder().encode(text),
      ),
    );
    const bytes = new Uint8Array(NONCE_BYTES + sealed.length);
    bytes.set(iv);
    bytes.set(sealed, NONCE_BYTES);
    // A crash never leaves half a file.
    const temporary = `${this.#path}.new`;
    await Deno.writeFile(temporary, bytes, { mode: 0o600 });
    await Deno.chmod(temporary, 0o600);
    await Deno.rename(temporary, this.#path);
  }
}
