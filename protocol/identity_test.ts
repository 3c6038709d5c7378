import {
  assert,
  assertEquals,
  assertFalse,
  assertNotEquals,
} from "@std/assert";
import {
  generateIdentity,
  loadIdentity,
  safetyNumber,
  signMessage,
  verifyMessage,
} from "./identity.ts";

const message = new TextEncoder().encode("offer");

Deno.test("a stored identity signs as the original; a flipped bit or another key fails", async () => {
  const original = await generateIdentity();
  const loaded = await loadIdentity(original);
  const signature = await signMessage(loaded, { context: "c", message });
  assert(
    await verifyMessage(original.publicKey, {
      context: "c",
      message,
      signature,
    }),
  );
  const flipped = signature.slice();
  flipped[10] ^= 1;
  assertFalse(
    await verifyMessage(original.publicKey, {
      context: "c",
      message,
      signature: flipped,
    }),
  );
  const other = await generateIdentity();
  assertFalse(
    await verifyMessage(other.publicKey, { context: "c", message, signature }),
  );
});

Deno.test("malformed keys and signatures from the network are false, not exceptions", async () => {
  const identity = await generateIdentity();
  const signature = await signMessage(identity, { context: "c", message });
  assertFalse(
    await verifyMessage(new Uint8Array(31), {
      context: "c",
      message,
      signature,
    }),
  );
  assertFalse(
    await verifyMessage(new Uint8Array(32), {
      context: "c",
      message,
      signature,
    }),
  );
  assertFalse(
    await verifyMessage(identity.publicKey, {
      context: "c",
      message,
      signature: new Uint8Array(3),
    }),
  );
});

Deno.test("the context is bound: 'a' + 'bc' does not verify as 'ab' + 'c'", async () => {
  const identity = await generateIdentity();
  const signature = await signMessage(identity, {
    context: "a",
    message: new TextEncoder().encode("bc"),
  });
  assertFalse(
    await verifyMessage(identity.publicKey, {
      context: "ab",
      message: new TextEncoder().encode("c"),
      signature,
    }),
  );
});

Deno.test("safety numbers differ when either key changes", async () => {
  const [a, b, c] = await Promise.all([1, 2, 3].map(() => generateIdentity()));
  const ab = await safetyNumber(a.publicKey, b.publicKey);
  assertEquals(ab, await safetyNumber(b.publicKey, a.publicKey));
  assertNotEquals(ab, await safetyNumber(a.publicKey, c.publicKey));
});
