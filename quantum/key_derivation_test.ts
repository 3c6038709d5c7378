import { assertEquals, assertNotEquals } from "@std/assert";
import {
  deriveHybridKey,
  deriveSessionKey,
  HYBRID_INFO,
  hybridDecapsulate,
  hybridEncapsulate,
} from "./key_derivation.ts";
import { generateKemKeyPair } from "./ml_kem.ts";

const encoder = new TextEncoder();

// An independent HKDF through WebCrypto directly, to check the wiring.
async function webHkdf(
  ikm: Uint8Array,
  salt: Uint8Array,
  info: string,
): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    ikm as Uint8Array<ArrayBuffer>,
    "HKDF",
    false,
    ["deriveBits"],
  );
  const bits = await crypto.subtle.deriveBits(
    {
      name: "HKDF",
      hash: "SHA-256",
      salt: salt as Uint8Array<ArrayBuffer>,
      info: encoder.encode(info),
    },
    key,
    256,
  );
  return new Uint8Array(bits).toHex();
}

Deno.test("deriveSessionKey uses the per-pair salt and info", async () => {
  const secret = crypto.getRandomValues(new Uint8Array(32));
  const salt = new Uint8Array(
    await crypto.subtle.digest(
      "SHA-256",
      encoder.encode("qstcs-Soldier_Alpha-Soldier_Bravo"),
    ),
  );
  const key = deriveSessionKey(secret, {
    client: "Soldier_Alpha",
    peer: "Soldier_Bravo",
  });
  assertEquals(
    key.toHex(),
    await webHkdf(secret, salt, "qstcs-session-Soldier_Alpha-Soldier_Bravo"),
  );
});

Deno.test("deriveSessionKey separates parties and their order", () => {
  const secret = crypto.getRandomValues(new Uint8Array(32));
  const ab = deriveSessionKey(secret, { client: "A", peer: "B" });
  const ba = deriveSessionKey(secret, { client: "B", peer: "A" });
  assertNotEquals(ab.toHex(), ba.toHex());
  assertEquals(
    ab.toHex(),
    (deriveSessionKey(secret, { client: "A", peer: "B" })).toHex(),
  );
});

Deno.test("deriveHybridKey is HKDF over qkdKey || secret with the hybrid info", async () => {
  const qkd = crypto.getRandomValues(new Uint8Array(32));
  const ss = crypto.getRandomValues(new Uint8Array(32));
  const joined = new Uint8Array([...qkd, ...ss]);
  assertEquals(
    (deriveHybridKey(qkd, ss)).toHex(),
    await webHkdf(joined, new Uint8Array(32), HYBRID_INFO),
  );
});

Deno.test("hybrid encapsulation with real ML-KEM-768 gives both sides one key", () => {
  const qkd = crypto.getRandomValues(new Uint8Array(32));
  const { publicKey, secretKey } = generateKemKeyPair();
  const sent = hybridEncapsulate(qkd, publicKey);
  assertEquals(sent.cipherText.length, 1088);
  const received = hybridDecapsulate(qkd, {
    cipherText: sent.cipherText,
    secretKey,
  });
  assertEquals(received.toHex(), sent.key.toHex());
  assertNotEquals(sent.key.toHex(), qkd.toHex());
  // A second encapsulation draws a fresh shared secret: no placeholder constant.
  assertNotEquals(
    (hybridEncapsulate(qkd, publicKey)).key.toHex(),
    sent.key.toHex(),
  );
  // Without the right ML-KEM secret key the QKD key alone does not give the hybrid key.
  const other = generateKemKeyPair();
  const wrong = hybridDecapsulate(qkd, {
    cipherText: sent.cipherText,
    secretKey: other.secretKey,
  });
  assertNotEquals(wrong.toHex(), sent.key.toHex());
});
