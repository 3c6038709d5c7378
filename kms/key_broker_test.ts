import { assertEquals, assertNotEquals } from "@std/assert";
import type { KeyOutcome } from "./key_broker.ts";
import type { IssuedKey } from "./key_issuer.ts";
import type { Kms } from "./context.ts";
import { withMemoryKms } from "./_test_memory_kms.ts";

/** The broker of a KMS in memory whose pool holds 256 keys. */
function withBroker(fn: (kms: Kms) => void | Promise<void>): Promise<void> {
  return withMemoryKms(async ({ kms }) => await fn(kms));
}

function issued(outcome: KeyOutcome): IssuedKey {
  if (!outcome.ok) throw new Error(`no key: ${outcome.reason}`);
  return outcome;
}

Deno.test("a pair shares one key; asking again while holding it makes a fresh one", () =>
  withBroker(({ broker, store }) => {
    const a = issued(broker.pairKey({ device: "A", peer: "B" }));
    const b = issued(broker.pairKey({ device: "B", peer: "A" }));
    assertEquals(b.keyId, a.keyId);
    assertEquals(b.key, a.key);
    const b2 = issued(broker.pairKey({ device: "B", peer: "A" }));
    assertNotEquals(b2.keyId, a.keyId);
    assertEquals(
      issued(broker.pairKey({ device: "A", peer: "B" })).keyId,
      b2.keyId,
    );
    assertEquals(store.ledgerSize(), 4);
    assertEquals(broker.activeSessions, 1);
  }));

Deno.test("different pairs get different keys", () =>
  withBroker(({ broker }) => {
    const ab = issued(broker.pairKey({ device: "A", peer: "B" }));
    const ac = issued(broker.pairKey({ device: "A", peer: "C" }));
    assertNotEquals(ab.key, ac.key);
  }));

Deno.test("while RED no key leaves, not even a pending pair key", () =>
  withBroker(async ({ broker, link }) => {
    issued(broker.pairKey({ device: "A", peer: "B" }));
    await link.forceAttack();
    assertEquals(link.status, "RED");
    assertEquals(broker.pairKey({ device: "B", peer: "A" }), {
      ok: false,
      reason: "link_red",
      message:
        "QKD link compromised: the link is RED (rolling QBER 26.0%, threshold 11.0%). No keys until an operator resets the link.",
      qber: link.qber,
      status: "RED",
    });
    assertEquals(broker.pairKey({ device: "C" }).ok, false);
  }));

Deno.test("sessions: the creator and the named peer hold the key; strangers are refused", () =>
  withBroker(({ broker }) => {
    const created = broker.createSession({ initiator: "A", peer: "B" });
    if (!created.ok) throw new Error(created.message);
    const joined = broker.joinSession(created.session.sessionId, "B");
    if (!joined.ok) throw new Error(`join refused: ${joined.reason}`);
    assertEquals(joined.key, created.key);
    assertEquals(broker.joinSession(created.session.sessionId, "E"), {
      ok: false,
      reason: "not_session_peer",
    });
    assertEquals(broker.joinSession("nope", "B"), {
      ok: false,
      reason: "unknown_session",
    });
    const [info] = broker.sessions();
    assertEquals(info.joined, true);
    assertEquals(Object.keys(info).includes("key"), false);
    broker.clear();
    assertEquals(broker.activeSessions, 0);
  }));

Deno.test("a peer behind a re-key can fetch a recent key of its pair by id", () =>
  withBroker(({ broker }) => {
    const first = issued(broker.pairKey({ device: "A", peer: "B" }));
    const second = issued(broker.pairKey({ device: "A", peer: "B" }));
    assertNotEquals(second.keyId, first.keyId);
    const fetched = issued(
      broker.pairKey({ device: "B", peer: "A", keyId: first.keyId }),
    );
    assertEquals(fetched.key, first.key);
    assertEquals(
      broker.pairKey({ device: "B", peer: "A", keyId: "nope" }),
      { ok: false, reason: "unknown_key" },
    );
    // Another pair cannot fetch it.
    assertEquals(
      broker.pairKey({ device: "C", peer: "A", keyId: first.keyId }),
      { ok: false, reason: "unknown_key" },
    );
  }));
