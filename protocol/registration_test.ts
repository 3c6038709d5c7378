import { assert, assertFalse } from "@std/assert";
import { generateIdentity } from "./identity.ts";
import {
  newChallenge,
  proveRegistration,
  verifyRegistration,
} from "./registration.ts";

Deno.test("a registration proof binds the key holder, the nonce and the device id", async () => {
  const alpha = await generateIdentity();
  const mallory = await generateIdentity();
  const nonce = newChallenge();
  const proof = await proveRegistration(alpha, {
    nonce,
    deviceId: "Soldier_Alpha",
  });
  assert(
    await verifyRegistration(alpha.publicKey, {
      nonce,
      deviceId: "Soldier_Alpha",
      proof,
    }),
  );
  // Another device id, another key, a forged proof or junk: false.
  assertFalse(
    await verifyRegistration(alpha.publicKey, {
      nonce,
      deviceId: "Soldier_Bravo",
      proof,
    }),
  );
  assertFalse(
    await verifyRegistration(mallory.publicKey, {
      nonce,
      deviceId: "Soldier_Alpha",
      proof,
    }),
  );
  const forged = await proveRegistration(mallory, {
    nonce,
    deviceId: "Soldier_Alpha",
  });
  assertFalse(
    await verifyRegistration(alpha.publicKey, {
      nonce,
      deviceId: "Soldier_Alpha",
      proof: forged,
    }),
  );
  for (const junk of [undefined, 7, "", "!!!", "a".repeat(200)]) {
    assertFalse(
      await verifyRegistration(alpha.publicKey, {
        nonce,
        deviceId: "Soldier_Alpha",
        proof: junk,
      }),
    );
  }
  assert(newChallenge() !== newChallenge());
});
