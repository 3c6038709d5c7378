/**
 * Device identity: Ed25519 key pairs through WebCrypto (RFC 8032), signing
 * with a domain-separation context, and safety numbers two soldiers compare
 * by voice.
 *
 * Ed25519 rather than ML-DSA-65: the relay verifies a ticket on every
 * registration attempt from anyone on the LAN, and Ed25519 verifies in about
 * 0.2 ms against ML-DSA-65's 5 ms here (a cheap flood would fill a core),
 * with 32-byte keys and 64-byte signatures. Authentication is therefore
 * classical; the key exchange stays hybrid post-quantum (ML-KEM-768), which
 * is what protects recorded traffic against a later quantum computer.
 *
 * @example
 * ```ts
 * import { assert, assertFalse } from "@std/assert";
 * import { generateIdentity, signMessage, verifyMessage } from "./identity.ts";
 *
 * const alpha = await generateIdentity();
 * const message = new TextEncoder().encode("kem_offer ...");
 * const signature = await signMessage(alpha, { context: "test", message });
 * assert(await verifyMessage(alpha.publicKey, { context: "test", message, signature }));
 * assertFalse(await verifyMessage(alpha.publicKey, { context: "other", message, signature }));
 * ```
 *
 * @module
 */

/** Length of an Ed25519 public key in bytes. */
export const IDENTITY_PUBLIC_KEY_LENGTH = 32;
/** Length of an Ed25519 signature in bytes. */
export const SIGNATURE_LENGTH = 64;

const encoder = new TextEncoder();

/** An identity key pair: the raw public key and a signing key. */
export interface Identity {
  /** The 32-byte raw Ed25519 public key, the identity others pin. */
  publicKey: Uint8Array;
  /** The private key, usable only for signing. */
  signingKey: CryptoKey;
}

/** An identity's private key as stored on disk (PKCS #8, 48 bytes). */
export interface StoredIdentity {
  /** The raw public key. */
  publicKey: Uint8Array;
  /** The PKCS #8 private key: keep it in a file of mode 0600. */
  pkcs8: Uint8Array;
}

/** Outcome of {@linkcode readPublicKey}. */
export type PublicKeyRead =
  | { ok: true; key: Uint8Array }
  | { ok: false; reason: string };

const BASE64URL = { alphabet: "base64url", omitPadding: true } as const;

/**
 * An identity public key as text: base64url without padding, the form of
 * tickets, `GET /ticket_key`, the KMS's `ticket_key.pub` and pin files.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { publicKeyText, readPublicKey } from "./identity.ts";
 *
 * const key = new Uint8Array(32).fill(7);
 * assertEquals(readPublicKey(`${publicKeyText(key)}\n`), { ok: true, key });
 * ```
 */
export function publicKeyText(key: Uint8Array): string {
  return key.toBase64(BASE64URL);
}

/**
 * Reads a 32-byte Ed25519 public key written as base64url text (surrounding
 * whitespace allowed), saying what is wrong with anything else: such text
 * comes from files, the KMS and the network.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { readPublicKey } from "./identity.ts";
 *
 * assertEquals(readPublicKey("%%%"), { ok: false, reason: "not base64url text" });
 * assertEquals(readPublicKey("AAAA").ok, false);
 * ```
 */
export function readPublicKey(text: unknown): PublicKeyRead {
  if (typeof text !== "string") return { ok: false, reason: "not text" };
  let key: Uint8Array;
  try {
    key = Uint8Array.fromBase64(text.trim(), { alphabet: "base64url" });
  } catch {
    return { ok: false, reason: "not base64url text" };
  }
  if (key.length !== IDENTITY_PUBLIC_KEY_LENGTH) {
    return {
      ok: false,
      reason: `an Ed25519 public key has ${IDENTITY_PUBLIC_KEY_LENGTH} ` +
        `bytes, this one ${key.length}`,
    };
  }
  return { ok: true, key };
}

/**
 * Generates a new identity, returned with its storable form.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { generateIdentity, IDENTITY_PUBLIC_KEY_LENGTH } from "./identity.ts";
 * assertEquals((await generateIdentity()).publicKey.length, IDENTITY_PUBLIC_KEY_LENGTH);
 * ```
 */
export async function generateIdentity(): Promise<Identity & StoredIdentity> {
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const publicKey = new Uint8Array(
    await crypto.subtle.exportKey("raw", pair.publicKey),
  );
  const pkcs8 = new Uint8Array(
    await crypto.subtle.exportKey("pkcs8", pair.privateKey),
  );
  // Re-imported non-extractable: the running process cannot leak it by
  // accident through exportKey.
  return { publicKey, pkcs8, signingKey: await importSigningKey(pkcs8) };
}

/**
 * Loads a stored identity for signing.
 *
 * @throws {DOMException} when `stored.pkcs8` is not an Ed25519 private key.
 */
export async function loadIdentity(stored: StoredIdentity): Promise<Identity> {
  return {
    publicKey: stored.publicKey,
    signingKey: await importSigningKey(stored.pkcs8),
  };
}

function importSigningKey(pkcs8: Uint8Array): Promise<CryptoKey> {
  // WebCrypto's types want an ArrayBuffer-backed view; any Uint8Array works.
  const bytes = pkcs8 as Uint8Array<ArrayBuffer>;
  return crypto.subtle.importKey("pkcs8", bytes, { name: "Ed25519" }, false, [
    "sign",
  ]);
}

/** What is signed or verified, under which context. */
export interface SignedMessage {
  /**
   * Domain separation, e.g. `qstcs-relay-ticket-v1`: a signature made for
   * one purpose never verifies for another.
   */
  context: string;
  /** The bytes signed. */
  message: Uint8Array;
}

/** Signs `context || 0x00 || message` with the identity's key. */
export async function signMessage(
  identity: Identity,
  signed: SignedMessage,
): Promise<Uint8Array> {
  return new Uint8Array(
    await crypto.subtle.sign("Ed25519", identity.signingKey, framed(signed)),
  );
}

/**
 * Whether `signature` is the holder of `publicKey`'s signature of the
 * message under the context. Malformed keys or signatures are `false`,
 * never an exception: they come from the network.
 */
export async function verifyMessage(
  publicKey: Uint8Array,
  signed: SignedMessage & { signature: Uint8Array },
): Promise<boolean> {
  if (
    publicKey.length !== IDENTITY_PUBLIC_KEY_LENGTH ||
    signed.signature.length !== SIGNATURE_LENGTH
  ) {
    return false;
  }
  try {
    const key = await crypto.subtle.importKey(
      "raw",
      publicKey as Uint8Array<ArrayBuffer>,
      { name: "Ed25519" },
      false,
      ["verify"],
    );
    return await crypto.subtle.verify(
      "Ed25519",
      key,
      signed.signature as Uint8Array<ArrayBuffer>,
      framed(signed),
    );
  } catch {
    return false;
  }
}

function framed({ context, message }: SignedMessage): Uint8Array<ArrayBuffer> {
  const prefix = encoder.encode(context);
  const bytes = new Uint8Array(prefix.length + 1 + message.length);
  bytes.set(prefix);
  bytes.set(message, prefix.length + 1);
  return bytes;
}

/**
 * A 30-digit safety number for two identity keys, the same whichever side
 * computes it (six groups of five digits, read aloud to compare): SHA-256
 * of both keys in byte order, each 5-byte slice reduced mod 100000.
 *
 * @example
 * ```ts
 * import { assertEquals, assertMatch } from "@std/assert";
 * import { generateIdentity, safetyNumber } from "./identity.ts";
 *
 * const [a, b] = [await generateIdentity(), await generateIdentity()];
 * const number = await safetyNumber(a.publicKey, b.publicKey);
 * assertMatch(number, /^\d{5}( \d{5}){5}$/);
 * assertEquals(await safetyNumber(b.publicKey, a.publicKey), number);
 * ```
 */
export async function safetyNumber(
  a: Uint8Array,
  b: Uint8Array,
): Promise<string> {
  const [first, second] = compareBytes(a, b) <= 0 ? [a, b] : [b, a];
  const both = new Uint8Array(first.length + second.length);
  both.set(first);
  both.set(second, first.length);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", both));
  const groups = [];
  for (let i = 0; i < 6; i++) {
    let value = 0;
    for (const byte of digest.subarray(i * 5, i * 5 + 5)) {
      value = value * 256 + byte;
    }
    groups.push(String(value % 100_000).padStart(5, "0"));
  }
  return groups.join(" ");
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return a.length - b.length;
}
