import { assert, assertEquals } from "@std/assert";
import { CloseCode } from "./connection.ts";
import {
  generateIdentity,
  type Identity,
  issueTicket,
  proveRegistration,
  TICKET_CLOCK_SKEW_SECONDS,
} from "../protocol/mod.ts";
import { chat, FakePeer, setupHub } from "./_test_hub.ts";
import { DEFAULT_LIMITS } from "./config.ts";
import { Hub, type HubOptions, REGISTER_TIMEOUT_MS } from "./hub.ts";

Deno.test("Hub refuses chat before register, spoofed senders and a second register", () => {
  const { hub, connect } = setupHub();
  const anonymous = connect();
  hub.receive(anonymous, chat("Alpha", "Bravo", "m-1"));
  assertEquals(anonymous.take()[0].code, "not_registered");
  const alpha = connect("Alpha");
  const bravo = connect("Bravo");
  hub.receive(alpha, chat("Bravo", "Alpha", "m-2"));
  assertEquals(alpha.take()[0].code, "spoofed_sender");
  hub.receive(alpha, JSON.stringify({ type: "register", device_id: "Other" }));
  assertEquals(alpha.take()[0].code, "duplicate_device");
  assertEquals(bravo.take(), []);
  assertEquals(hub.counters.refused.get("spoofed_sender"), 1);
});

Deno.test("Hub refuses a device id that is online, unless its socket is dead or the resume token matches", () => {
  const { hub, connect } = setupHub();
  const first = new FakePeer();
  hub.connect(first, "a");
  hub.receive(first, JSON.stringify({ type: "register", device_id: "Alpha" }));
  const { resume } = first.take()[0];
  const second = connect();
  hub.receive(second, JSON.stringify({ type: "register", device_id: "Alpha" }));
  assertEquals(second.take()[0].code, "duplicate_device");

  hub.receive(
    second,
    JSON.stringify({ type: "register", device_id: "Alpha", resume }),
  );
  const registered = second.take()[0];
  assertEquals(registered.type, "registered");
  assert(registered.resume !== resume, "a fresh token for the new socket");
  assertEquals(first.closed, {
    code: CloseCode.replaced,
    reason: "replaced by a new connection",
  });
  // The old socket's close event arrives later and changes nothing.
  hub.disconnect(first, 4001);
  assertEquals(hub.gauges().devices, 1);

  second.readyState = 3;
  const third = connect();
  hub.receive(third, JSON.stringify({ type: "register", device_id: "Alpha" }));
  assertEquals(third.take()[0].type, "registered");
});

Deno.test("Hub with a ticket key: frames sent while a ticket is checked wait for it, in order", async () => {
  const { device, ticket, hub } = await ticketedHub();
  const alpha = new FakePeer();
  hub.connect(alpha, "a");
  await registerAlpha(hub, { peer: alpha, device, ticket });
  // Sent before the registered frame came back: held, not refused.
  hub.receive(alpha, chat("Alpha", "Bravo", "m-1"));
  hub.receive(alpha, '{"type":"ping","id":"p-1"}');
  assertEquals(alpha.take(), []);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assertEquals(alpha.take().map((f) => `${f.type}${f.status ?? ""}`), [
    "registered",
    "ackqueued",
    "pong",
  ]);

  const squatter = new FakePeer();
  hub.connect(squatter, "b");
  hub.receive(
    squatter,
    JSON.stringify({ type: "register", device_id: "Alpha" }),
  );
  await new Promise((resolve) => setTimeout(resolve, 50));
  assertEquals(squatter.take()[0].code, "ticket_required");
  assertEquals(squatter.closed?.code, CloseCode.policyViolation);
  assertEquals(alpha.closed, undefined, "the real device stays");
});

Deno.test("Hub with a ticket key: a ticket without its proof, or with another connection's, is refused", async () => {
  const { device, ticket, hub } = await ticketedHub();
  const elsewhere = new FakePeer();
  hub.connect(elsewhere, "a");
  const mallory = await generateIdentity();
  const proofs: ((nonce: string) => Promise<string> | undefined)[] = [
    () => undefined,
    // Alpha's own proof, but for another connection's challenge.
    () =>
      proveRegistration(device, {
        nonce: elsewhere.challenge!,
        deviceId: "Alpha",
      }),
    // This challenge, signed by a key the ticket does not name.
    (nonce) => proveRegistration(mallory, { nonce, deviceId: "Alpha" }),
  ];
  for (const prove of proofs) {
    const peer = new FakePeer();
    hub.connect(peer, "b");
    assert(peer.challenge !== elsewhere.challenge, "a fresh nonce each time");
    const signed = await prove(peer.challenge!);
    hub.receive(
      peer,
      JSON.stringify({
        type: "register",
        device_id: "Alpha",
        ticket,
        proof: signed,
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    assertEquals(peer.take(), [{
      type: "error",
      code: "ticket_invalid",
      message: "no proof of the ticket's identity key",
    }]);
    assertEquals(peer.closed?.code, CloseCode.policyViolation);
  }
  assertEquals(hub.gauges().devices, 0);
});

Deno.test("Hub closes a socket that does not register in time, and a ticketed one at its ticket's expiry (4002)", async () => {
  let now = 0;
  let unixNow = 1_000_000;
  const { device, ticket, hub } = await ticketedHub({
    open: true,
    now: () => now,
    unixNow: () => unixNow,
  });
  const silent = new FakePeer();
  hub.connect(silent, "s");
  const seed = new FakePeer();
  hub.connect(seed, "o");
  hub.receive(seed, JSON.stringify({ from: "Bravo" }));
  const alpha = new FakePeer();
  hub.connect(alpha, "a");
  await registerAlpha(hub, { peer: alpha, device, ticket });
  await new Promise((resolve) => setTimeout(resolve, 50));
  assertEquals(alpha.take()[0].type, "registered");
  now = REGISTER_TIMEOUT_MS - 1;
  hub.tick();
  assertEquals(silent.closed, undefined);
  now = REGISTER_TIMEOUT_MS + 1000;
  hub.tick();
  assertEquals(silent.closed?.code, CloseCode.policyViolation);
  assertEquals(seed.closed, undefined, "registered without a ticket: stays");
  assertEquals(alpha.closed, undefined);

  unixNow += 60 + TICKET_CLOCK_SKEW_SECONDS;
  now += 1000;
  hub.tick();
  assertEquals(alpha.take().filter((f) => f.type === "error"), [{
    type: "error",
    code: "ticket_invalid",
    message: "ticket expired: renew it and register again",
  }]);
  assertEquals(alpha.closed?.code, CloseCode.ticketExpired);
  assertEquals(CloseCode.ticketExpired, 4002);
  assertEquals(seed.closed, undefined);
});

// A hub with a stand-in KMS's ticket key, and Alpha's identity and ticket
// (60 s, issued at the hub's Unix time).
async function ticketedHub(options: Partial<HubOptions> = {}) {
  const kms = await generateIdentity();
  const device = await generateIdentity();
  const hub = new Hub({
    limits: DEFAULT_LIMITS,
    kmsKey: kms.publicKey,
    ...options,
  });
  const ticket = await issueTicket(kms, {
    deviceId: "Alpha",
    publicKey: device.publicKey,
    now: options.unixNow?.() ?? Date.now() / 1000,
    lifetimeSeconds: 60,
  });
  return { device, ticket, hub };
}

// Sends Alpha's register frame with her ticket and proof of the challenge.
async function registerAlpha(
  hub: Hub,
  options: { peer: FakePeer; device: Identity; ticket: string },
): Promise<void> {
  const proof = await proveRegistration(options.device, {
    nonce: options.peer.challenge!,
    deviceId: "Alpha",
  });
  hub.receive(
    options.peer,
    JSON.stringify({
      type: "register",
      device_id: "Alpha",
      ticket: options.ticket,
      proof,
    }),
  );
}
