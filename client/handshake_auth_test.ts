import { assert, assertEquals } from "@std/assert";
import {
  decryptPacket,
  encryptPacket,
  generateIdentity,
  generateKemKeyPair,
  type Identity,
  importPacketKey,
  issueTicket,
  safetyNumber,
} from "../protocol/mod.ts";
import { testKey } from "./_test_fakes.ts";
import { HandshakeAuth, type TrustEvent } from "./handshake_auth.ts";
import { decodePayload, encodePayload } from "./payload.ts";
import { SecureChannel } from "./secure_channel.ts";

interface Device {
  auth: HandshakeAuth;
  events: TrustEvent[];
  pinned: Map<string, Uint8Array>;
  identity: Identity;
}

async function device(
  name: string,
  kms: Identity | undefined,
  options: { pinned?: Map<string, Uint8Array>; ticketFor?: string } = {},
): Promise<Device> {
  const identity = await generateIdentity();
  const ticket = kms &&
    await issueTicket(kms, {
      deviceId: options.ticketFor ?? name,
      publicKey: identity.publicKey,
      now: Date.now() / 1000,
      lifetimeSeconds: 600,
    });
  const pinned = options.pinned ?? new Map<string, Uint8Array>();
  const events: TrustEvent[] = [];
  const auth = new HandshakeAuth({
    identity,
    tickets: { kmsKey: kms?.publicKey, ticket },
    pins: {
      peer: (peer) => pinned.get(peer),
      pinPeer: (peer, key) => Promise.resolve(void pinned.set(peer, key)),
    },
    onEvent: (event) => events.push(event),
  });
  return { auth, events, pinned, identity };
}

function channels(alpha: Device, bravo: Device) {
  return [
    new SecureChannel({ deviceId: "A", peerId: "B", auth: alpha.auth }),
    new SecureChannel({ deviceId: "B", peerId: "A", auth: bravo.auth }),
  ];
}

Deno.test("signed handshakes complete, and each side pins the other's certified key", async () => {
  const kms = await generateIdentity();
  const [alpha, bravo] = [await device("A", kms), await device("B", kms)];
  const [a, b] = channels(alpha, bravo);
  const key = testKey();
  await b.storeKey(key);
  const answer = await b.receive((await a.adoptKey(key))!);
  assertEquals(answer.kind === "handshake" && answer.established, "k-1+mlkem");
  if (answer.kind !== "handshake") throw new Error(answer.kind);
  const done = await a.receive(answer.reply!);
  assertEquals(done.kind === "handshake" && done.established, "k-1+mlkem");
  assertEquals(bravo.pinned.get("A"), alpha.identity.publicKey);
  assertEquals(alpha.pinned.get("B"), bravo.identity.publicKey);
  assertEquals(alpha.events, [{ kind: "peer_pinned", peer: "B" }]);
  assertEquals(
    (await alpha.auth.safetyNumbers("B")).pinned,
    (await bravo.auth.safetyNumbers("A")).pinned,
  );
});

Deno.test("a man in the middle holding K who swaps the offer's ML-KEM key is caught by the signature", async () => {
  const kms = await generateIdentity();
  const [alpha, bravo] = [await device("A", kms), await device("B", kms)];
  const [a, b] = channels(alpha, bravo);
  const key = testKey();
  await b.storeKey(key);
  const offer = (await a.adoptKey(key))!;
  // The KMS gave K to the relay: it opens the offer, puts its own ML-KEM
  // key in, keeps Alpha's ticket and signature, and seals it again.
  const k = await importPacketKey(key.key);
  const payload = decodePayload(await decryptPacket(k, offer));
  const swapped = { ...payload, pk: generateKemKeyPair().publicKey.toBase64() };
  const forged = await encryptPacket(k, encodePayload(swapped), {
    sender: "A",
    recipient: "B",
    keyId: key.keyId,
    seq: offer.seq,
  });
  assertEquals(await b.receive(forged), { kind: "unauthenticated" });
  // Stripping the proof instead is refused too.
  const { ticket: _t, sig: _s, ...bare } = swapped as typeof swapped & {
    ticket?: string;
    sig?: string;
  };
  const unsigned = await encryptPacket(k, encodePayload(bare), {
    sender: "A",
    recipient: "B",
    keyId: key.keyId,
    seq: offer.seq + 100,
  });
  assertEquals(await b.receive(unsigned), { kind: "unauthenticated" });
  assertEquals(bravo.events, [
    { kind: "handshake_refused", peer: "A", why: "bad_signature" },
    { kind: "handshake_refused", peer: "A", why: "unsigned" },
  ]);
  assertEquals(b.sendKeyId, undefined);
  // Alpha's genuine offer, sent again, still goes through.
  const genuine = await b.receive((await a.offer())!);
  assertEquals(
    genuine.kind === "handshake" && genuine.established,
    "k-1+mlkem",
  );
});

Deno.test("a ticket for another device, or from another KMS, is refused", async () => {
  const kms = await generateIdentity();
  const bravo = await device("B", kms);
  const impostor = await device("A", kms, { ticketFor: "C" });
  const foreign = await device("A", await generateIdentity());
  for (const alpha of [impostor, foreign]) {
    const [a, b] = channels(alpha, bravo);
    const key = testKey();
    await b.storeKey(key);
    assertEquals(await b.receive((await a.adoptKey(key))!), {
      kind: "unauthenticated",
    });
  }
  assertEquals(bravo.events.map((e) => "why" in e && e.why), [
    "ticket_wrong_device",
    "ticket_bad_signature",
  ]);
});

Deno.test("a re-enrolled peer's new key stops the handshake until trusted", async () => {
  const kms = await generateIdentity();
  const bravo = await device("B", kms);
  const first = await device("A", kms);
  const [a1, b1] = channels(first, bravo);
  const k1 = testKey("k-1");
  await b1.storeKey(k1);
  await b1.receive((await a1.adoptKey(k1))!);
  const pinnedNumber = (await bravo.auth.safetyNumbers("A")).pinned;

  const renewed = await device("A", kms);
  const [a2, b2] = channels(renewed, bravo);
  const k2 = testKey("k-2");
  await b2.storeKey(k2);
  const offer = (await a2.adoptKey(k2))!;
  assertEquals(await b2.receive(offer), { kind: "unauthenticated" });
  assertEquals(await b2.receive(await a2.offer() ?? offer), {
    kind: "unauthenticated",
  });
  assertEquals(bravo.auth.blocked("A"), true);
  assertEquals(bravo.events.at(-1), { kind: "peer_key_changed", peer: "A" });
  assertEquals(
    bravo.events.filter((e) => e.kind === "peer_key_changed").length,
    1,
    "said once, not at every re-sent offer",
  );
  const numbers = await bravo.auth.safetyNumbers("A");
  assertEquals(numbers.pinned, pinnedNumber);
  assertEquals(
    numbers.changed,
    await safetyNumber(renewed.identity.publicKey, bravo.identity.publicKey),
  );

  assertEquals(await bravo.auth.trust("A"), { ok: true });
  assertEquals(bravo.auth.blocked("A"), false);
  assertEquals(bravo.pinned.get("A"), renewed.identity.publicKey);
  const answer = await b2.receive((await a2.offer())!);
  assertEquals(answer.kind === "handshake" && answer.established, "k-2+mlkem");
  assertEquals(await bravo.auth.trust("A"), {
    ok: false,
    reason: "nothing_to_trust",
  });
});

// A device "A" with a new identity whose first offer reaches `bravo`.
async function offerFromNewA(bravo: Device, kms: Identity, keyId: string) {
  const alpha = await device("A", kms);
  const [a, b] = channels(alpha, bravo);
  const key = testKey(keyId);
  await b.storeKey(key);
  await b.receive((await a.adoptKey(key))!);
  return alpha;
}

Deno.test("/trust pins only the key whose safety number /verify last showed", async () => {
  const kms = await generateIdentity();
  const bravo = await device("B", kms);
  const first = await offerFromNewA(bravo, kms, "k-1");
  // A changed key, never shown by /verify: not trusted.
  await offerFromNewA(bravo, kms, "k-2");
  assertEquals(await bravo.auth.trust("A"), {
    ok: false,
    reason: "not_verified",
  });
  const shown = await bravo.auth.safetyNumbers("A");
  // Another key replaces the one shown before /trust: not trusted either.
  const third = await offerFromNewA(bravo, kms, "k-3");
  assertEquals(await bravo.auth.trust("A"), {
    ok: false,
    reason: "not_verified",
  });
  assertEquals(bravo.pinned.get("A"), first.identity.publicKey);
  assertEquals(bravo.auth.blocked("A"), true);
  const again = await bravo.auth.safetyNumbers("A");
  assert(again.changed !== shown.changed, "the third key's own number");
  assertEquals(await bravo.auth.trust("A"), { ok: true });
  assertEquals(bravo.pinned.get("A"), third.identity.publicKey);
});

Deno.test("without a KMS ticket key the handshake goes on, said once to be unauthenticated", async () => {
  const [alpha, bravo] = [
    await device("A", undefined),
    await device("B", undefined),
  ];
  const [a, b] = channels(alpha, bravo);
  const key = testKey();
  await b.storeKey(key);
  const answer = await b.receive((await a.adoptKey(key))!);
  assertEquals(answer.kind === "handshake" && answer.established, "k-1+mlkem");
  await b.receive((await a.offer()) ?? (await a.adoptKey(testKey("k-2")))!);
  assertEquals(bravo.events, [
    { kind: "handshake_unauthenticated", peer: "A" },
  ]);
  assertEquals(bravo.pinned.size, 0);
});
