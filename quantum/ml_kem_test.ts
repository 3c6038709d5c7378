import { assertEquals, assertNotEquals, assertThrows } from "@std/assert";
import {
  generateKemKeyPair,
  KEM_CIPHERTEXT_LENGTH,
  KEM_SECRET_KEY_LENGTH,
  kemDecapsulate,
  kemEncapsulate,
} from "./ml_kem.ts";

Deno.test("ML-KEM-768 sizes are FIPS 203's and a wrong secret key gives another secret", () => {
  const pair = generateKemKeyPair();
  assertEquals(pair.secretKey.length, KEM_SECRET_KEY_LENGTH);
  const sent = kemEncapsulate(pair.publicKey);
  assertEquals(sent.cipherText.length, KEM_CIPHERTEXT_LENGTH);
  assertEquals(sent.sharedSecret.length, 32);
  assertEquals(
    kemDecapsulate(sent.cipherText, pair.secretKey),
    sent.sharedSecret,
  );
  // Implicit rejection: a stranger's secret key yields an unrelated secret.
  const stranger = generateKemKeyPair();
  assertNotEquals(
    kemDecapsulate(sent.cipherText, stranger.secretKey),
    sent.sharedSecret,
  );
  assertThrows(() => kemEncapsulate(new Uint8Array(10)));
});
