import { assert, assertEquals, assertRejects } from "@std/assert";
import { freePort } from "../common/service_process.ts";
import { removeDataDir, startKms, waitForPool } from "../kms/_test_kms.ts";
import {
  fetchLinkStatus,
  type KeyAnswer,
  type KmsKey,
  requestSessionKey,
} from "./kms_client.ts";
import { KmsError } from "./kms_http.ts";

function keyOf(answer: KeyAnswer): KmsKey {
  if (!answer.ok) throw new Error(`no key: ${JSON.stringify(answer)}`);
  return answer.key;
}

const alpha = { deviceId: "Soldier_Alpha", peerId: "Soldier_Bravo" };
const bravo = { deviceId: "Soldier_Bravo", peerId: "Soldier_Alpha" };

Deno.test("wrapped keys from the real KMS follow the pairing rules", async () => {
  const kms = await startKms({ open: true });
  try {
    const first = keyOf(await requestSessionKey(kms.url, alpha));
    assertEquals(first.key.length, 32);
    assertEquals(first.status, "GREEN");
    assert(first.qber < 0.11);
    // The peer receives the same key.
    const peer = keyOf(await requestSessionKey(kms.url, bravo));
    assertEquals(peer.keyId, first.keyId);
    assertEquals(peer.key, first.key);
    // Asking again while holding it gives a fresh one.
    const fresh = keyOf(await requestSessionKey(kms.url, alpha));
    assert(fresh.keyId !== first.keyId);
    // A recent key by id, and an unknown one.
    const recent = keyOf(
      await requestSessionKey(kms.url, { ...bravo, keyId: first.keyId }),
    );
    assertEquals(recent.key, first.key);
    const unknown = await requestSessionKey(kms.url, {
      ...bravo,
      keyId: "no-such-key",
    });
    assertEquals(unknown.ok, false);
    assertEquals(!unknown.ok && unknown.reason, "unknown_key");
  } finally {
    await kms.stop();
    await removeDataDir(kms.dataDir);
  }
});

Deno.test("a RED link gives no key; link status follows", async () => {
  const kms = await startKms({ open: true });
  try {
    assertEquals((await fetchLinkStatus(kms.url)).status, "GREEN");
    await kms.post("/force_attack");
    assertEquals((await fetchLinkStatus(kms.url)).status, "RED");
    const refused = await requestSessionKey(kms.url, alpha);
    assertEquals(refused.ok, false);
    if (!refused.ok) {
      assertEquals(refused.reason, "refused");
      assertEquals(refused.status, "RED");
      assert(refused.qber! > 0.11);
    }
    await kms.post("/reset");
    // RED flushed the pool; keys come again once the link's blocks refill it.
    await waitForPool(kms, { bits: 256 });
    keyOf(await requestSessionKey(kms.url, alpha));
  } finally {
    await kms.stop();
    await removeDataDir(kms.dataDir);
  }
});

Deno.test("an unreachable KMS is a KmsError", async () => {
  const url = `http://127.0.0.1:${freePort()}`;
  await assertRejects(() => requestSessionKey(url, alpha), KmsError);
  await assertRejects(() => fetchLinkStatus(url), KmsError);
});

Deno.test("an answer that is not a KMS answer is a KmsError", async () => {
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) =>
      new URL(request.url).pathname === "/link_status"
        ? Response.json({ status: "PURPLE" })
        : new Response("<html>proxy login</html>", { status: 200 }),
  );
  const url = `http://127.0.0.1:${server.addr.port}`;
  await assertRejects(() => requestSessionKey(url, alpha), KmsError, "JSON");
  await assertRejects(() => fetchLinkStatus(url), KmsError);
});
