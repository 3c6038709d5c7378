import { assert, assertEquals } from "@std/assert";
import {
  type ChatPacket,
  generateIdentity,
  type Identity,
  issueTicket,
} from "../protocol/mod.ts";
import {
  FakeInput,
  FakeKms,
  FakeRelay,
  recordingTerminal,
  testKey,
  testState,
} from "./_test_fakes.ts";
import { waitUntil } from "../testing/wait.ts";
import { ChatClient } from "./chat_client.ts";
import type { ClientConfig } from "./config.ts";
import { HandshakeAuth } from "./handshake_auth.ts";
import { KmsError } from "./kms_http.ts";
import { SecureChannel } from "./secure_channel.ts";

const config: ClientConfig = {
  deviceId: "Soldier_Alpha",
  peerId: "Soldier_Bravo",
  kmsUrl: "http://kms.invalid",
  relayUrl: "ws://relay.invalid",
  maxFileBytes: 1024 * 1024,
};

async function started(
  kms: FakeKms,
  state?: Awaited<ReturnType<typeof testState>>,
) {
  const relay = new FakeRelay();
  const input = new FakeInput();
  const { terminal, lines } = recordingTerminal();
  const client = new ChatClient(config, {
    terminal,
    input,
    relay,
    kms,
    state: state ?? await testState(),
  });
  const exit = client.run();
  const saw = (text: string) =>
    waitUntil(() => lines.some((l) => l.includes(text)), text);
  return { client, relay, input, lines, exit, saw };
}

Deno.test("a line goes out under the hybrid key, is acked, confirmed, and the client exits 0", async () => {
  const key = testKey();
  const kms = new FakeKms([{ ok: true, key }]);
  const { relay, input, lines, exit, saw } = await started(kms);
  await saw("✓ Quantum key established (QBER=2.0%) | Status: GREEN");
  await waitUntil(() => relay.events !== undefined, "the relay started");
  relay.connect(["Soldier_Alpha", "Soldier_Bravo"]);
  await saw(
    "✓ Connected to the relay as Soldier_Alpha (Soldier_Bravo is online).",
  );

  // Bravo, played by the test, answers the offer under the same KMS key.
  const bravo = new SecureChannel({
    deviceId: "Soldier_Bravo",
    peerId: "Soldier_Alpha",
  });
  await bravo.storeKey(key);
  await waitUntil(() => relay.sent.length > 0, "the ML-KEM offer");
  const answer = await bravo.receive(relay.sent.shift()!);
  if (answer.kind !== "handshake" || !answer.reply) {
    throw new Error(`expected a handshake reply, got ${answer.kind}`);
  }
  relay.events!.onFrame(answer.reply);
  await saw(
    "🔐 End-to-end key ready with Soldier_Bravo (ML-KEM-768 + QKD key k-1): chat is open.",
  );

  input.type("Hold position");
  await waitUntil(() => relay.sent.length > 0, "the message");
  const packet: ChatPacket = relay.sent.shift()!;
  assertEquals(packet.key_id, "k-1+mlkem");
  const got = await bravo.receive(packet);
  if (got.kind !== "content" || got.payload.t !== "msg") {
    throw new Error(`expected a message, got ${got.kind}`);
  }
  assertEquals(got.payload.text, "Hold position");
  relay.events!.onFrame({ type: "ack", id: packet.id, status: "delivered" });
  await saw('✓ relay accepted: "Hold position"');

  input.type(null);
  await saw(
    "… End of input: waiting up to 10 s for 1 message(s) to be confirmed.",
  );
  const receipt = await bravo.seal({ t: "receipt", mid: got.payload.mid });
  relay.events!.onFrame(receipt!);
  assertEquals(await exit, 0);
  assertEquals(kms.requests, ["Soldier_Bravo"]);
  assertEquals(
    lines[0].startsWith(
      "[Alpha] QSTCS secure chat: Soldier_Alpha ↔ Soldier_Bravo",
    ),
    true,
  );
});

Deno.test("a RED answer suspends chat: lines are kept, and /quit lists them", async () => {
  const kms = new FakeKms([
    {
      ok: false,
      reason: "refused",
      error: "link RED",
      status: "RED",
      qber: 0.25,
    },
  ]);
  kms.link = { status: "RED", qber: 0.25 };
  const { client, input, exit, saw } = await started(kms);
  await saw("⚠ QUANTUM LINK RED (QBER=25.0%) — possible eavesdropper!");
  input.type("Move out");
  await saw('… kept (link RED): "Move out"');
  input.type("/status");
  await saw("  link: RED (QBER 25.0%) — chat suspended");
  await saw(
    "  relay: not connected yet (first a key from the KMS) (ws://relay.invalid)",
  );
  client.quit();
  assertEquals(await exit, 0);
});

Deno.test("an unreachable KMS is said once, and the re-key goes on", async () => {
  const kms = new FakeKms([new Error("KMS unreachable at http://kms.invalid"), {
    ok: true,
    key: testKey(),
  }]);
  const { lines, input, exit, saw } = await started(kms);
  await saw(
    "⚠ No key from the KMS: KMS unreachable at http://kms.invalid. Retrying every 2 s.",
  );
  await saw("✓ Quantum key established");
  assertEquals(
    lines.filter((l) => l.includes("No key from the KMS")).length,
    1,
  );
  input.type("/quit");
  assertEquals(await exit, 0);
});

Deno.test("commands from the table: /help lists them, misuse is explained", async () => {
  const { input, exit, saw, lines } = await started(
    new FakeKms([{ ok: true, key: testKey() }]),
  );
  input.type("/help");
  await saw('[Alpha]   //text             send a line that starts with "/"');
  assert(lines.includes("[Alpha] Commands:"));
  input.type("/quit now");
  await saw("⚠ /quit takes no argument");
  input.type("/peer Soldier_Alpha");
  await saw('⚠ "Soldier_Alpha" is not another device\'s id.');
  input.type("/peer Soldier_Charlie");
  await saw("↔ Now talking to Soldier_Charlie (offline)");
  input.type("/quit");
  assertEquals(await exit, 0);
});

Deno.test("relay news: refusals said once, malformed packets and strangers reported", async () => {
  const { relay, input, exit, saw, lines } = await started(
    new FakeKms([{ ok: true, key: testKey() }]),
  );
  await waitUntil(() => relay.events !== undefined, "the relay started");
  const refusal = {
    type: "error",
    code: "duplicate_device",
    message: "taken",
  } as const;
  relay.events!.onFrame(refusal);
  relay.events!.onFrame(refusal);
  await saw("⚠ The relay refused a frame: duplicate_device — taken");
  relay.events!.onBadFrame!({ ok: false, reason: "chat: bad", type: "chat" });
  await saw("[!] Malformed packet dropped.");
  relay.events!.onBadFrame!({ ok: false, reason: "ack: bad", type: "ack" });
  relay.events!.onDown({ wasUp: false, reason: "refused" });
  await saw(
    "⚠ Cannot reach the relay at ws://relay.invalid (refused); retrying.",
  );
  relay.connect(["Soldier_Alpha"]);
  const mallory = new SecureChannel({
    deviceId: "Soldier_Mallory",
    peerId: "Soldier_Alpha",
  });
  await mallory.storeKey(testKey("k-9"));
  relay.events!.onFrame((await mallory.adoptKey(testKey("k-9")))!);
  await saw(
    "⚠ Ignored a packet from Soldier_Mallory; you are talking to Soldier_Bravo (/peer Soldier_Mallory to switch).",
  );
  // The link is GREEN: a network or relay problem, not the alarm.
  relay.events!.onDown({ wasUp: true, reason: "closed" });
  await saw(
    "⚠ Lost the relay: a network or relay problem, not the quantum link (it is not RED). Reconnecting; typed lines are kept.",
  );
  assert(!lines.some((l) => l.includes("compromised")));
  input.type("/quit");
  assertEquals(await exit, 0);
  assertEquals(lines.filter((l) => l.includes("refused a frame")).length, 1);
  assertEquals(lines.filter((l) => l.includes("Malformed")).length, 1);
});

// Bravo, played by the test: an identity certified by the same KMS.
async function certifiedBravo(issuer: Identity) {
  const identity = await generateIdentity();
  const ticket = await issueTicket(issuer, {
    deviceId: "Soldier_Bravo",
    publicKey: identity.publicKey,
    now: Date.now() / 1000,
    lifetimeSeconds: 600,
  });
  const pinned = new Map<string, Uint8Array>();
  const auth = new HandshakeAuth({
    identity,
    tickets: { kmsKey: issuer.publicKey, ticket },
    pins: {
      peer: (peer) => pinned.get(peer),
      pinPeer: (peer, key) => Promise.resolve(void pinned.set(peer, key)),
    },
    onEvent: () => {},
  });
  return new SecureChannel({
    deviceId: "Soldier_Bravo",
    peerId: "Soldier_Alpha",
    auth,
  });
}

// Answers Alpha's next offer (under `key`) as `bravo`.
async function answerOffer(
  relay: FakeRelay,
  bravo: SecureChannel,
  key: ReturnType<typeof testKey>,
) {
  await bravo.storeKey(key);
  await waitUntil(
    () => relay.sent.some((p) => p.key_id === key.keyId),
    `the offer under ${key.keyId}`,
  );
  const offer = relay.sent.find((p) => p.key_id === key.keyId)!;
  relay.sent.length = 0;
  const answer = await bravo.receive(offer);
  if (answer.kind !== "handshake" || !answer.reply) {
    throw new Error(`expected a handshake reply, got ${answer.kind}`);
  }
  relay.events!.onFrame(answer.reply);
}

Deno.test("with tickets: Bravo's key is pinned at first contact; a new key stops chat until /trust", async () => {
  const issuer = await generateIdentity();
  const [k1, k2, k3] = [testKey("k-1"), testKey("k-2"), testKey("k-3")];
  const kms = new FakeKms(
    [k1, k2, k3].map((key) => ({ ok: true, key })),
    issuer,
  );
  const { relay, input, lines, exit, saw } = await started(kms);
  await waitUntil(() => relay.events !== undefined, "the relay started");
  relay.connect(["Soldier_Alpha", "Soldier_Bravo"]);
  await answerOffer(relay, await certifiedBravo(issuer), k1);
  await saw(
    "🔑 Pinned Soldier_Bravo's identity key (first contact, certified by the KMS).",
  );
  await saw("🔐 End-to-end key ready with Soldier_Bravo");
  input.type("/verify Soldier_Bravo");
  await saw("Safety number with Soldier_Bravo: ");

  // Bravo re-enrolled: a new identity with a new ticket.
  const renewed = await certifiedBravo(issuer);
  input.type("/rekey");
  await answerOffer(relay, renewed, k2);
  await saw("⚠ Soldier_Bravo'S IDENTITY KEY CHANGED");
  input.type("after the change");
  await saw(
    '… kept (the peer\'s identity key changed: /verify, then /trust): "after the change"',
  );
  assertEquals(relay.sent.filter((p) => p.key_id.endsWith("+mlkem")), []);
  input.type("/verify Soldier_Bravo");
  await saw("Safety number with Soldier_Bravo's NEW key: ");
  input.type("/trust Soldier_Bravo");
  await saw("✓ Trusted Soldier_Bravo's new identity key; re-keying.");
  await answerOffer(relay, renewed, k3);
  await saw(
    "🔐 End-to-end key ready with Soldier_Bravo (ML-KEM-768 + QKD key k-3)",
  );
  await waitUntil(
    () => relay.sent.some((p) => p.key_id === "k-3+mlkem"),
    "the held line under the new key",
  );
  input.type("/quit");
  assertEquals(await exit, 0);
  assertEquals(lines.filter((l) => l.includes("CHANGED")).length, 1);
});

Deno.test("a KMS without tickets: said once, and the handshake is said to be unauthenticated", async () => {
  const key = testKey();
  const { relay, input, exit, saw, lines } = await started(
    new FakeKms([{ ok: true, key }]),
  );
  await saw("⚠ This KMS issues no relay tickets");
  await waitUntil(() => relay.events !== undefined, "the relay started");
  relay.connect(["Soldier_Alpha", "Soldier_Bravo"]);
  const bravo = new SecureChannel({
    deviceId: "Soldier_Bravo",
    peerId: "Soldier_Alpha",
  });
  await answerOffer(relay, bravo, key);
  await saw(
    "⚠ The handshake with Soldier_Bravo is NOT authenticated (this KMS issues no relay tickets)",
  );
  await saw("🔐 End-to-end key ready with Soldier_Bravo");
  input.type("/quit");
  assertEquals(await exit, 0);
  assertEquals(lines.filter((l) => l.includes("no relay tickets")).length, 2);
});

Deno.test("a refused token is explained once, with the enroll command", async () => {
  const kms = new FakeKms([
    new KmsError("KMS answered HTTP 401: unauthorized", { status: 401 }),
  ], await generateIdentity());
  kms.relayTicket = () =>
    Promise.resolve({
      ok: false,
      reason: "unauthorized",
      message: "unauthorized",
    });
  const { input, exit, saw, lines } = await started(kms);
  await saw("⚠ No key from the KMS: KMS answered HTTP 401: unauthorized.");
  await saw(
    "⚠ The KMS refused Soldier_Alpha: no token given. On the KMS host run: deno task kms:enroll Soldier_Alpha --credentials credentials/Soldier_Alpha.json",
  );
  input.type("/quit");
  assertEquals(await exit, 0);
  assertEquals(lines.filter((l) => l.includes("kms:enroll")).length, 1);
});

Deno.test("the relay lost, then the link RED: the alarm comes when both are known", async () => {
  const kms = new FakeKms([{ ok: true, key: testKey() }]);
  const { relay, input, exit, saw, lines } = await started(kms);
  await waitUntil(() => relay.events !== undefined, "the relay started");
  relay.connect(["Soldier_Alpha", "Soldier_Bravo"]);
  relay.events!.onDown({ wasUp: true, reason: "no answer" });
  await saw("⚠ Lost the relay: a network or relay problem");
  assert(!lines.some((l) => l.includes("compromised")));
  // The router's cut: the KMS says RED while the relay is unreachable.
  kms.link = { status: "RED", qber: 0.25 };
  await saw("⚠ QUANTUM LINK RED (QBER=25.0%)");
  await saw(
    "❌ Connection lost — quantum channel may be compromised. Awaiting re-key.",
  );
  input.type("/quit");
  assertEquals(await exit, 0);
});
