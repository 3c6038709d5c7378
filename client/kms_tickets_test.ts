import { assertEquals, assertRejects } from "@std/assert";
import { generateIdentity, verifyTicket } from "../protocol/mod.ts";
import { startTicketKms } from "./_test_ticket_kms.ts";
import { KmsError } from "./kms_http.ts";
import { fetchTicketKey, requestRelayTicket } from "./kms_tickets.ts";

// Nothing listens there: only the ticket routes, answered by the front, work.
const NOWHERE = "http://127.0.0.1:9";

Deno.test("the ticket key and a ticket that verifies with it; another key later is a mismatch", async () => {
  await using kms = await startTicketKms(NOWHERE);
  const device = await generateIdentity();
  const key = await fetchTicketKey(kms.url);
  assertEquals(key, { ok: true, publicKey: kms.issuer.publicKey });
  const request = { deviceId: "Soldier_Alpha", publicKey: device.publicKey };
  const answer = await requestRelayTicket(kms.url, request);
  if (!answer.ok) throw new Error(answer.message);
  const checked = await verifyTicket(answer.ticket, {
    kmsKey: kms.issuer.publicKey,
    now: Date.now() / 1000,
    deviceId: "Soldier_Alpha",
  });
  assertEquals(checked.ok && checked.publicKey, device.publicKey);
  const other = await requestRelayTicket(kms.url, {
    ...request,
    publicKey: (await generateIdentity()).publicKey,
  });
  assertEquals(other.ok === false && other.reason, "key_mismatch");
});

Deno.test("a KMS from before tickets answers 404: no tickets, not an error", async () => {
  await using kms = await startTicketKms(NOWHERE, { issues: false });
  assertEquals(await fetchTicketKey(kms.url), {
    ok: false,
    reason: "no_tickets",
  });
  const answer = await requestRelayTicket(kms.url, {
    deviceId: "Soldier_Alpha",
    publicKey: new Uint8Array(32),
  });
  assertEquals(answer.ok === false && answer.reason, "no_tickets");
});

Deno.test("an unreachable KMS or a nonsense ticket key is a KmsError", async () => {
  await assertRejects(() => fetchTicketKey(NOWHERE), KmsError);
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => Response.json({ algorithm: "Ed25519", public_key: "short" }),
  );
  try {
    await assertRejects(
      () => fetchTicketKey(`http://127.0.0.1:${server.addr.port}`),
      KmsError,
      "KMS ticket key: HTTP 200",
    );
  } finally {
    await server.shutdown();
  }
});
