import { assertEquals, assertNotEquals } from "@std/assert";
import { Auditor } from "./audit.ts";
import { EventHub } from "./events.ts";
import { KeyBroker, type KeyOutcome } from "./key_broker.ts";
import type { IssuedKey } from "./key_issuer.ts";
import { QuantumLink } from "./quantum_link.ts";
import { KmsStore } from "./store.ts";

function setup() {
  const store = new KmsStore(":memory:");
  const hub = new EventHub();
  const audit = new Auditor(store, hub, { log: () => {} });
  const link = new QuantumLink(store, hub, { noiseLevel: 0.02, audit });
  return { store, link, broker: new KeyBroker({ link, store, hub, audit }) };
}

function issued(outcome: KeyOutcome): IssuedKey {
  if (!outcome.ok) throw new Error(`no key: ${outcome.reason}`);
  return outcome;
}

Deno.test("a pair shares one key; asking again while holding it makes a fresh one", () => {
  const { broker, store } = setup();
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
  store.close();
});

Deno.test("different pairs get different keys", () => {
  const { broker, store } = setup();
  const ab = issued(broker.pairKey({ device: "A", peer: "B" }));
  const ac = issued(broker.pairKey({ device: "A", peer: "C" }));
  assertNotEquals(ab.key, ac.key);
  store.close();
});

Deno.test("while RED no key leaves, not even a pending pair key", () => {
  const { broker, link, store } = setup();
  issued(broker.pairKey({ device: "A", peer: "B" }));
  link.forceAttack();
  assertEquals(link.status, "RED");
  assertEquals(broker.pairKey({ device: "B", peer: "A" }), {
    ok: false,
    reason: "link_red",
    message:
      "QKD link compromised: the link is RED. No keys until an operator resets the link.",
    qber: link.qber,
    status: "RED",
  });
  assertEquals(broker.pairKey({ device: "C" }).ok, false);
  store.close();
});

Deno.test("sessions: the creator and the named peer hold the key; strangers are refused", () => {
  const { broker, store } = setup();
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
  store.close();
});

Deno.test("a peer behind a re-key can fetch a recent key of its pair by id", () => {
  const { broker, store } = setup();
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
  store.close();
});
