import { assertEquals, assertRejects } from "@std/assert";
import { generateIdentity, verifyTicket } from "../protocol/mod.ts";
import { PROJECT_ROOT } from "../common/service_process.ts";
import { enroll, removeDataDir, startKms } from "../kms/_test_kms.ts";
import { TICKET_PUBLIC_KEY_FILE } from "../protocol/mod.ts";
import { startOldKms } from "./_test_old_kms.ts";
import { KmsError } from "./kms_http.ts";
import { fetchTicketKey, requestRelayTicket } from "./kms_tickets.ts";

// Nothing listens there.
const NOWHERE = "http://127.0.0.1:9";

Deno.test("the real KMS: its ticket key, a ticket that verifies with it; no token or another key later is refused", async () => {
  const kms = await startKms();
  try {
    const token = await enroll(kms.dataDir, "Soldier_Alpha");
    const kmsKey = Uint8Array.fromBase64(
      (await Deno.readTextFile(
        `${PROJECT_ROOT}${kms.dataDir}/${TICKET_PUBLIC_KEY_FILE}`,
      )).trim(),
      { alphabet: "base64url" },
    );
    assertEquals(await fetchTicketKey(kms.url), {
      ok: true,
      publicKey: kmsKey,
    });
    const device = await generateIdentity();
    const request = {
      deviceId: "Soldier_Alpha",
      token,
      publicKey: device.publicKey,
    };
    const anonymous = await requestRelayTicket(kms.url, {
      ...request,
      token: undefined,
    });
    assertEquals(anonymous.ok === false && anonymous.reason, "unauthorized");
    const answer = await requestRelayTicket(kms.url, request);
    if (!answer.ok) throw new Error(answer.message);
    const checked = await verifyTicket(answer.ticket, {
      kmsKey,
      now: Date.now() / 1000,
      deviceId: "Soldier_Alpha",
    });
    assertEquals(checked.ok && checked.publicKey, device.publicKey);
    const other = await requestRelayTicket(kms.url, {
      ...request,
      publicKey: (await generateIdentity()).publicKey,
    });
    assertEquals(other.ok === false && other.reason, "key_mismatch");
  } finally {
    await kms.stop();
    await removeDataDir(kms.dataDir);
  }
});

Deno.test("a KMS from before tickets answers 404: no tickets, not an error", async () => {
  await using kms = startOldKms(NOWHERE);
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
