import { assert, assertEquals } from "@std/assert";
import { generateIdentity, verifyTicket } from "../protocol/mod.ts";
import { withMemoryKms } from "./_test_memory_kms.ts";

const BASE64URL = { alphabet: "base64url", omitPadding: true } as const;

async function newPublicKey(): Promise<string> {
  return (await generateIdentity()).publicKey.toBase64(BASE64URL);
}

Deno.test("GET /ticket_key needs no token; a device's ticket verifies with that key and names its identity key", async () => {
  await withMemoryKms(async (kms) => {
    const key = await kms.get("/ticket_key");
    assertEquals(key.status, 200);
    assertEquals(key.body.algorithm, "Ed25519");
    const kmsKey = Uint8Array.fromBase64(key.body.public_key as string, {
      alphabet: "base64url",
    });
    assertEquals(kmsKey, kms.kms.ticketKey.publicKey);
    const token = kms.enroll("Soldier_Alpha");
    const publicKey = await newPublicKey();
    const before = Math.floor(Date.now() / 1000);
    const answer = await kms.post("/relay_ticket", {
      device_id: "Soldier_Alpha",
      public_key: publicKey,
    }, { authorization: `Bearer ${token}` });
    assertEquals(answer.status, 200);
    assertEquals(Object.keys(answer.body), ["ticket", "expires_at"]);
    const expiresAt = answer.body.expires_at as number;
    assert(expiresAt >= before + 3600 && expiresAt <= before + 3601);
    const check = await verifyTicket(answer.body.ticket, {
      kmsKey,
      now: before,
      deviceId: "Soldier_Alpha",
    });
    if (!check.ok) throw new Error(`ticket refused: ${check.reason}`);
    assertEquals(check.publicKey.toBase64(BASE64URL), publicKey);
    assertEquals(check.ticket.expires_at, expiresAt);
    assertEquals(
      (await verifyTicket(answer.body.ticket, {
        kmsKey: (await generateIdentity()).publicKey,
        now: before,
      })).ok,
      false,
      "another KMS key does not verify it",
    );
  });
});

Deno.test("the first ticket binds the identity key; another key is 409 until re-enrollment forgets it", async () => {
  await withMemoryKms(async (kms) => {
    let auth = { authorization: `Bearer ${kms.enroll("Soldier_Alpha")}` };
    const first = await newPublicKey();
    const ask = (public_key: string) =>
      kms.post(
        "/relay_ticket",
        { device_id: "Soldier_Alpha", public_key },
        auth,
      );
    assertEquals((await ask(first)).status, 200);
    assertEquals((await ask(first)).status, 200, "the bound key again");
    const squatter = await ask(await newPublicKey());
    assertEquals(squatter.status, 409);
    assertEquals(squatter.body, {
      error: "identity_key_mismatch",
      message:
        "Soldier_Alpha is bound to another identity key: re-enroll the device to change its identity key (deno task kms:enroll Soldier_Alpha)",
    });
    assertEquals(kms.kms.store.enrollment("Soldier_Alpha")?.publicKey, first);
    auth = { authorization: `Bearer ${kms.enroll("Soldier_Alpha")}` };
    const second = await newPublicKey();
    assertEquals(
      (await ask(second)).status,
      200,
      "re-enrolled: a new key binds",
    );
    assertEquals((await ask(first)).status, 409);
    const messages = kms.kms.store.recentAudit(100).map((e) =>
      `[${e.tag}] ${e.message}`
    );
    assert(messages.includes(
      `[IDENTITY_BOUND] device=Soldier_Alpha source=127.0.0.1:51234 public_key=${first}`,
    ));
    assert(messages.includes(
      "[TICKET_REFUSED] device=Soldier_Alpha source=127.0.0.1:51234 reason=identity_key_mismatch",
    ));
  });
});

Deno.test("a key bound at enrollment (--public-key) is the only one that gets tickets", async () => {
  await withMemoryKms(async (kms) => {
    const bound = await newPublicKey();
    const auth = {
      authorization: `Bearer ${
        kms.enroll("Soldier_Bravo", { publicKey: bound })
      }`,
    };
    const ask = (public_key: string) =>
      kms.post(
        "/relay_ticket",
        { device_id: "Soldier_Bravo", public_key },
        auth,
      );
    assertEquals((await ask(await newPublicKey())).status, 409);
    assertEquals((await ask(bound)).status, 200);
  });
});

Deno.test("/relay_ticket refusals: no token 401, an operator's or another device's token 403, bad keys 400", async () => {
  await withMemoryKms(async (kms) => {
    const public_key = await newPublicKey();
    const body = { device_id: "Soldier_Alpha", public_key };
    kms.enroll("Soldier_Alpha");
    const none = await kms.post("/relay_ticket", body);
    assertEquals(none.status, 401);
    assertEquals(none.body.error, "unauthorized");
    const operator = kms.enroll("Operator", { role: "operator" });
    const asOperator = await kms.post("/relay_ticket", {
      device_id: "Operator",
      public_key,
    }, { authorization: `Bearer ${operator}` });
    assertEquals(asOperator.status, 403);
    assertEquals(asOperator.body, {
      error: "forbidden",
      message:
        "Operator is an operator: relay tickets are for devices (enroll the device with --role device)",
    });
    const bravo = kms.enroll("Soldier_Bravo");
    const other = await kms.post("/relay_ticket", body, {
      authorization: `Bearer ${bravo}`,
    });
    assertEquals(other.status, 403);
    assertEquals(
      other.body.message,
      "this token belongs to Soldier_Bravo, not Soldier_Alpha",
    );
    const auth = { authorization: `Bearer ${bravo}` };
    const bad = async (public_key: unknown) =>
      (await kms.post("/relay_ticket", {
        device_id: "Soldier_Bravo",
        public_key,
      }, auth)).body.message;
    assertEquals(
      await bad(undefined),
      "public_key is required (base64url Ed25519 public key)",
    );
    assertEquals(
      await bad("AAAA"),
      "public_key must decode to 32 bytes, got 3",
    );
    assertEquals(
      await bad("not base64url!"),
      "public_key is not valid base64url",
    );
    assertEquals(await bad(42), "public_key must be a base64url string");
    assertEquals(kms.kms.store.enrollment("Soldier_Alpha")?.publicKey, null);
  });
});

Deno.test("--open: tickets without a token, still refused for a key other than the bound one; --ticket-lifetime", async () => {
  await withMemoryKms(async (kms) => {
    const answer = await kms.post("/relay_ticket", {
      device_id: "Stranger",
      public_key: await newPublicKey(),
    });
    assertEquals(answer.status, 200);
    const now = Math.floor(Date.now() / 1000);
    assert((answer.body.expires_at as number) <= now + 600);
    kms.enroll("Soldier_Alpha", { publicKey: await newPublicKey() });
    const squatter = await kms.post("/relay_ticket", {
      device_id: "Soldier_Alpha",
      public_key: await newPublicKey(),
    });
    assertEquals(squatter.status, 409);
  }, { args: ["--open", "--ticket-lifetime", "600"] });
});
