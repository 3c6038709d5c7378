import { assertEquals } from "@std/assert";
import { generateIdentity } from "./identity.ts";
import {
  issueTicket,
  MAX_TICKET_LENGTH,
  TICKET_CLOCK_SKEW_SECONDS,
  verifyTicket,
} from "./relay_ticket.ts";

const kms = await generateIdentity();
const device = await generateIdentity();
const ticket = await issueTicket(kms, {
  deviceId: "Soldier_Alpha",
  publicKey: device.publicKey,
  now: 10_000,
  lifetimeSeconds: 600,
});
const kmsKey = kms.publicKey;

Deno.test("a valid ticket gives the device and its identity key", async () => {
  const check = await verifyTicket(ticket, {
    kmsKey,
    now: 10_100,
    deviceId: "Soldier_Alpha",
  });
  if (!check.ok) throw new Error(`refused: ${check.reason}`);
  assertEquals(check.publicKey, device.publicKey);
  assertEquals(check.ticket.expires_at, 10_600);
});

Deno.test("expired, early, foreign-device, forged and malformed tickets are refused with the reason", async () => {
  const late = 10_600 + TICKET_CLOCK_SKEW_SECONDS + 1;
  assertEquals(await verifyTicket(ticket, { kmsKey, now: late }), {
    ok: false,
    reason: "expired",
  });
  const early = 10_000 - TICKET_CLOCK_SKEW_SECONDS - 1;
  assertEquals(await verifyTicket(ticket, { kmsKey, now: early }), {
    ok: false,
    reason: "not_yet_valid",
  });
  assertEquals(
    await verifyTicket(ticket, {
      kmsKey,
      now: 10_100,
      deviceId: "Soldier_Bravo",
    }),
    { ok: false, reason: "wrong_device" },
  );
  // A ticket signed by someone else, and one whose payload was edited.
  const mallory = await generateIdentity();
  const forged = await issueTicket(mallory, {
    deviceId: "Soldier_Alpha",
    publicKey: mallory.publicKey,
    now: 10_000,
    lifetimeSeconds: 600,
  });
  assertEquals(await verifyTicket(forged, { kmsKey, now: 10_100 }), {
    ok: false,
    reason: "bad_signature",
  });
  const [, signature] = ticket.split(".");
  const edited = JSON.stringify({
    v: 1,
    device_id: "Soldier_Alpha",
    public_key: mallory.publicKey.toBase64({
      alphabet: "base64url",
      omitPadding: true,
    }),
    issued_at: 10_000,
    expires_at: 10_600,
  });
  const swapped = `${
    new TextEncoder().encode(edited).toBase64({
      alphabet: "base64url",
      omitPadding: true,
    })
  }.${signature}`;
  assertEquals(await verifyTicket(swapped, { kmsKey, now: 10_100 }), {
    ok: false,
    reason: "bad_signature",
  });
  for (
    const bad of [
      undefined,
      42,
      "",
      "a",
      "a.b.c",
      "!!.!!",
      "x".repeat(MAX_TICKET_LENGTH + 1),
      `${btoa("{}")}.${signature}`,
    ]
  ) {
    assertEquals(await verifyTicket(bad, { kmsKey, now: 10_100 }), {
      ok: false,
      reason: "malformed",
    }, String(bad));
  }
});
