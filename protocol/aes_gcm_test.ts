import { assertEquals, assertRejects } from "@std/assert";
import {
  importAesKey,
  NONCE_LENGTH,
  open,
  seal,
  TAG_LENGTH,
} from "./aes_gcm.ts";

// McGrew and Viega, "The Galois/Counter Mode of Operation", test case 16
// (AES-256, 96-bit IV, with additional data).
const vector = {
  key: "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
  nonce: "cafebabefacedbaddecaf888",
  additionalData: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
  plaintext:
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" +
    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
  ciphertext:
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa" +
    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662" +
    "76fc6ece0f4e1768cddf8853bb2d551b",
};

Deno.test("open() decrypts the GCM specification's test case 16", async () => {
  const key = await importAesKey(Uint8Array.fromHex(vector.key));
  const plaintext = await open(key, {
    nonce: Uint8Array.fromHex(vector.nonce),
    ciphertext: Uint8Array.fromHex(vector.ciphertext),
  }, { additionalData: Uint8Array.fromHex(vector.additionalData) });
  assertEquals(plaintext.toHex(), vector.plaintext);
});

Deno.test("seal() output opens and carries a fresh nonce and a tag", async () => {
  const key = await importAesKey(crypto.getRandomValues(new Uint8Array(32)));
  const plaintext = new TextEncoder().encode("attack at dawn");
  const additionalData = new TextEncoder().encode("header");
  const first = await seal(key, plaintext, { additionalData });
  const second = await seal(key, plaintext, { additionalData });
  assertEquals(first.nonce.length, NONCE_LENGTH);
  assertEquals(first.ciphertext.length, plaintext.length + TAG_LENGTH);
  assertEquals(first.nonce.toHex() === second.nonce.toHex(), false);
  assertEquals(await open(key, first, { additionalData }), plaintext);
});

Deno.test("open() rejects different additional data with an OperationError", async () => {
  const key = await importAesKey(crypto.getRandomValues(new Uint8Array(32)));
  const sealed = await seal(key, new Uint8Array([1, 2, 3]), {
    additionalData: new Uint8Array([0]),
  });
  const error = await assertRejects(
    () => open(key, sealed, { additionalData: new Uint8Array([1]) }),
    DOMException,
  );
  assertEquals(error.name, "OperationError");
});

Deno.test("importAesKey() accepts only 32 bytes and is non-extractable", async () => {
  for (const length of [0, 16, 31, 33]) {
    await assertRejects(
      () => importAesKey(new Uint8Array(length)),
      RangeError,
      `got ${length}`,
    );
  }
  const key = await importAesKey(new Uint8Array(32));
  assertEquals(key.extractable, false);
  assertEquals(key.usages.toSorted(), ["decrypt", "encrypt"]);
});
