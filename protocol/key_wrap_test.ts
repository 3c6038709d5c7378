import { assertEquals, assertNotEquals, assertRejects } from "@std/assert";
import {
  generateKemKeyPair,
  KEM_CIPHERTEXT_LENGTH,
  KEM_PUBLIC_KEY_LENGTH,
  KEM_SECRET_KEY_LENGTH,
  KeyWrapError,
  type KeyWrapErrorCode,
  unwrapKey,
  wrapKey,
  WRAPPED_KEY_LENGTH,
  type WrappedKey,
} from "./key_wrap.ts";

const context = "k-1|Soldier_Alpha";
const device = generateKemKeyPair();

async function assertFails(
  operation: () => Promise<unknown>,
  code: KeyWrapErrorCode,
  message?: string,
): Promise<void> {
  const error = await assertRejects(operation, KeyWrapError, message);
  assertEquals(error.code, code);
}

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = bytes.slice();
  copy[bit >>> 3] ^= 1 << (bit & 7);
  return copy;
}

Deno.test("generateKemKeyPair() returns fresh ML-KEM-768 key pairs", () => {
  const other = generateKemKeyPair();
  assertEquals(device.publicKey.length, KEM_PUBLIC_KEY_LENGTH);
  assertEquals(device.secretKey.length, KEM_SECRET_KEY_LENGTH);
  assertNotEquals(device.publicKey.toHex(), other.publicKey.toHex());
});

Deno.test("wrapKey() output unwraps to the key and hides it", async () => {
  const key = crypto.getRandomValues(new Uint8Array(32));
  const wrapped = await wrapKey(key, device.publicKey, { context });
  assertEquals(wrapped.kemCiphertext.length, KEM_CIPHERTEXT_LENGTH);
  assertEquals(wrapped.wrappedKey.length, WRAPPED_KEY_LENGTH);
  assertEquals(wrapped.wrappedKey.toHex().includes(key.toHex()), false);
  assertEquals(
    await unwrapKey(wrapped, device.secretKey, { context }),
    key,
  );
  const again = await wrapKey(key, device.publicKey, { context });
  assertNotEquals(again.kemCiphertext.toHex(), wrapped.kemCiphertext.toHex());
  assertNotEquals(again.wrappedKey.toHex(), wrapped.wrappedKey.toHex());
});

Deno.test("unwrapKey() refuses a flipped bit in any part", async () => {
  const wrapped = await wrapKey(new Uint8Array(32), device.publicKey, {
    context,
  });
  const tampered: WrappedKey[] = [
    { ...wrapped, kemCiphertext: flipBit(wrapped.kemCiphertext, 0) },
    { ...wrapped, kemCiphertext: flipBit(wrapped.kemCiphertext, 5000) },
  ];
  // Every bit of the nonce, the encrypted key and the tag.
  for (let bit = 0; bit < WRAPPED_KEY_LENGTH * 8; bit++) {
    tampered.push({ ...wrapped, wrappedKey: flipBit(wrapped.wrappedKey, bit) });
  }
  for (const candidate of tampered) {
    await assertFails(
      () => unwrapKey(candidate, device.secretKey, { context }),
      "unwrap_failed",
    );
  }
});

Deno.test("unwrapKey() refuses a different context", async () => {
  const wrapped = await wrapKey(new Uint8Array(32), device.publicKey, {
    context,
  });
  for (const other of ["k-1|Soldier_Bravo", "k-2|Soldier_Alpha", "k-1"]) {
    await assertFails(
      () => unwrapKey(wrapped, device.secretKey, { context: other }),
      "unwrap_failed",
      "wrong context",
    );
  }
});

Deno.test("unwrapKey() refuses another device's secret key", async () => {
  const wrapped = await wrapKey(new Uint8Array(32), device.publicKey, {
    context,
  });
  await assertFails(
    () => unwrapKey(wrapped, generateKemKeyPair().secretKey, { context }),
    "unwrap_failed",
    "wrong secret key",
  );
});

Deno.test("unwrapKey() refuses a corrupt secret key as invalid input", async () => {
  const wrapped = await wrapKey(new Uint8Array(32), device.publicKey, {
    context,
  });
  // Bytes 1152.. hold the public key, whose hash the secret key also holds.
  const corrupt = flipBit(device.secretKey, 1152 * 8);
  await assertFails(
    () => unwrapKey(wrapped, corrupt, { context }),
    "invalid_input",
    "ML-KEM-768 secret key",
  );
});

Deno.test("wrapKey() refuses a public key of the wrong length or encoding", async () => {
  for (const length of [0, 32, KEM_PUBLIC_KEY_LENGTH - 1, 1568]) {
    await assertFails(
      () => wrapKey(new Uint8Array(32), new Uint8Array(length), { context }),
      "invalid_input",
      `ML-KEM-768 public key must be 1184 bytes, got ${length} bytes`,
    );
  }
  // 0xff bytes decode to coefficients above the modulus.
  await assertFails(
    () =>
      wrapKey(
        new Uint8Array(32),
        new Uint8Array(KEM_PUBLIC_KEY_LENGTH).fill(0xff),
        { context },
      ),
    "invalid_input",
    "invalid ML-KEM-768 public key",
  );
});

Deno.test("wrapKey() and unwrapKey() refuse inputs of the wrong size", async () => {
  const wrapped = await wrapKey(new Uint8Array(32), device.publicKey, {
    context,
  });
  const cases: [() => Promise<unknown>, string][] = [
    [
      () => wrapKey(new Uint8Array(16), device.publicKey, { context }),
      "session key must be 32 bytes",
    ],
    [
      () => wrapKey(new Uint8Array(32), device.publicKey, { context: "" }),
      "context must be a non-empty string",
    ],
    [
      () =>
        unwrapKey(
          { ...wrapped, kemCiphertext: wrapped.kemCiphertext.subarray(1) },
          device.secretKey,
          { context },
        ),
      "ML-KEM-768 ciphertext must be 1088 bytes",
    ],
    [
      () =>
        unwrapKey(
          { ...wrapped, wrappedKey: wrapped.wrappedKey.subarray(0, 59) },
          device.secretKey,
          { context },
        ),
      "wrapped key must be 60 bytes",
    ],
    [
      () => unwrapKey(wrapped, device.publicKey, { context }),
      "ML-KEM-768 secret key must be 2400 bytes",
    ],
    [
      () => unwrapKey(wrapped, device.secretKey, { context: "" }),
      "context must be a non-empty string",
    ],
  ];
  for (const [operation, message] of cases) {
    await assertFails(operation, "invalid_input", message);
  }
});
