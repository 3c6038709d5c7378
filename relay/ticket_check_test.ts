import { assertEquals, assertStringIncludes } from "@std/assert";
import { generateIdentity, issueTicket } from "../protocol/mod.ts";
import { checkTicket, type TicketCheckResult } from "./ticket_check.ts";

function refusalOf(checked: TicketCheckResult) {
  return checked.ok ? undefined : checked.refusal;
}

Deno.test("checkTicket() admits a valid ticket for the device and says why it refuses others", async () => {
  const kms = await generateIdentity();
  const device = await generateIdentity();
  const issue = (options: { now?: number; issuer?: typeof kms } = {}) =>
    issueTicket(options.issuer ?? kms, {
      deviceId: "Alpha",
      publicKey: device.publicKey,
      now: options.now ?? 10_000,
      lifetimeSeconds: 3600,
    });
  const check = (ticket: string | undefined, deviceId = "Alpha") =>
    checkTicket(ticket, { kmsKey: kms.publicKey, deviceId, now: 10_100 });
  assertEquals(await check(await issue()), {
    ok: true,
    publicKey: device.publicKey,
    expiresAt: 13_600,
  });
  const cases: [string | undefined, string, string][] = [
    [undefined, "ticket_required", "POST /relay_ticket"],
    ["x.y", "ticket_invalid", "malformed"],
    [
      await issue({ issuer: await generateIdentity() }),
      "ticket_invalid",
      "forged",
    ],
    [await issue({ now: 0 }), "ticket_invalid", "expired"],
    [await issue({ now: 20_000 }), "ticket_invalid", "not valid yet"],
  ];
  for (const [ticket, code, words] of cases) {
    const refusal = refusalOf(await check(ticket));
    assertEquals(refusal?.code, code);
    assertStringIncludes(refusal!.message, words);
  }
  assertStringIncludes(
    refusalOf(await check(await issue(), "Bravo"))!.message,
    "another device, not Bravo",
  );
});
