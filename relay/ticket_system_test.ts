/**
 * The relay as a real process admitting devices by the KMS's relay tickets
 * and their holders' proofs: squatters without one, forged, expired and
 * other devices' tickets, and tickets without their key's proof, are refused
 * and closed; a proven ticket takes a name over; unregistered sockets and
 * expired tickets are closed; a restarted relay
 * reads its key again; `--kms` waits for the KMS; `--open` still admits the
 * seeds' unticketed clients.
 */

import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import {
  generateIdentity,
  type Identity,
  issueTicket,
  proveRegistration,
  TICKET_CLOCK_SKEW_SECONDS,
} from "../protocol/mod.ts";
import { freePort } from "../common/service_process.ts";
import { REGISTER_TIMEOUT_MS } from "./hub.ts";
import { RawClient } from "./_test_raw_client.ts";
import { startRelay, TestClient } from "./_test_relay.ts";

const BASE64URL = { alphabet: "base64url", omitPadding: true } as const;

// A stand-in KMS: its ticket key pair, the public key in a file as the KMS
// writes it, and devices: a fresh identity key pair with its ticket.
async function testKms() {
  const identity = await generateIdentity();
  const dir = await Deno.makeTempDir({ prefix: "relay-ticket-" });
  const keyFile = `${dir}/ticket_key.pub`;
  await Deno.writeTextFile(
    keyFile,
    identity.publicKey.toBase64(BASE64URL) + "\n",
  );
  return {
    identity,
    keyFile,
    async device(
      deviceId: string,
      options: { issuer?: Identity; age?: number; lifetime?: number } = {},
    ): Promise<{ identity: Identity; ticket: string }> {
      const device = await generateIdentity();
      const ticket = await issueTicket(options.issuer ?? identity, {
        deviceId,
        publicKey: device.publicKey,
        now: Date.now() / 1000 - (options.age ?? 0),
        lifetimeSeconds: options.lifetime ?? 3600,
      });
      return { identity: device, ticket };
    },
    async ticket(
      deviceId: string,
      options: { issuer?: Identity; age?: number } = {},
    ): Promise<string> {
      return (await this.device(deviceId, options)).ticket;
    },
    async [Symbol.asyncDispose]() {
      await Deno.remove(dir, { recursive: true });
    },
  };
}

function ticketRelay(keyFile: string, options: { open?: boolean } = {}) {
  return startRelay({
    open: options.open ?? false,
    args: ["--ticket-key", keyFile],
    read: [keyFile],
  });
}

// Sends a register frame and returns the error frame and the close code.
async function refused(
  url: string,
  frame: Record<string, unknown>,
): Promise<{ code: unknown; message: string; close: number }> {
  await using client = await TestClient.connect(url);
  client.send(frame);
  const error = (await client.nextOfType("error")).frame;
  const close = (await client.closed).code;
  return { code: error.code, message: error.message as string, close };
}

Deno.test("without a ticket nobody registers; a squatter cannot take a name nor lock its device out", async () => {
  await using kms = await testKms();
  await using relay = await ticketRelay(kms.keyFile);
  assertStringIncludes(
    relay.process.output,
    `Ed25519 key ${kms.identity.publicKey.toBase64(BASE64URL)}`,
  );
  const squat = { type: "register", device_id: "Soldier_Bravo" };
  const unticketed = await refused(relay.url, squat);
  assertEquals([unticketed.code, unticketed.close], ["ticket_required", 1008]);
  assertStringIncludes(unticketed.message, "POST /relay_ticket");
  // The seeds' {from} form is unticketed too.
  assertEquals(
    (await refused(relay.url, { from: "Soldier_Bravo" })).code,
    "ticket_required",
  );
  // The squatter's own valid ticket does not name Soldier_Bravo.
  const other = await refused(relay.url, {
    ...squat,
    ticket: await kms.ticket("Mallory"),
  });
  assertEquals(other.code, "ticket_invalid");
  assertStringIncludes(other.message, "another device");

  await using bravo = await TestClient.connect(relay.url);
  const bravoDevice = await kms.device("Soldier_Bravo");
  await bravo.register("Soldier_Bravo", bravoDevice);
  // Bravo reconnecting with a ticket takes over from its own old socket.
  await using again = await TestClient.connect(relay.url);
  await again.register("Soldier_Bravo", bravoDevice);
  assertEquals((await bravo.closed).code, 4001);
  assertEquals(
    (await refused(relay.url, squat)).code,
    "ticket_required",
    "still no way in for the squatter",
  );
  const metrics = await relay.metrics();
  assertEquals(
    metrics.get('qstcs_relay_frames_refused_total{code="ticket_required"}'),
    3,
  );
  assertEquals(metrics.get("qstcs_relay_devices_online"), 1);
});

Deno.test("expired, forged and tampered tickets are refused with the reason", async () => {
  await using kms = await testKms();
  await using relay = await ticketRelay(kms.keyFile);
  const register = async (ticket: string) =>
    await refused(relay.url, {
      type: "register",
      device_id: "Soldier_Alpha",
      ticket,
    });
  const expired = await register(
    await kms.ticket("Soldier_Alpha", { age: 2 * 3600 }),
  );
  assertEquals([expired.code, expired.close], ["ticket_invalid", 1008]);
  assertStringIncludes(expired.message, "expired");
  const forged = await register(
    await kms.ticket("Soldier_Alpha", { issuer: await generateIdentity() }),
  );
  assertStringIncludes(forged.message, "not signed by this relay's KMS");
  const alphaDevice = await kms.device("Soldier_Alpha");
  const valid = alphaDevice.ticket;
  const [payload, signature] = valid.split(".");
  const claims = JSON.parse(
    new TextDecoder().decode(Uint8Array.fromBase64(payload, BASE64URL)),
  );
  claims.expires_at += 86_400;
  const stretched = new TextEncoder().encode(JSON.stringify(claims))
    .toBase64(BASE64URL);
  assertStringIncludes(
    (await register(`${stretched}.${signature}`)).message,
    "not signed",
  );
  assertStringIncludes((await register("garbage")).message, "malformed");
  // Each refusal cost one check and closed its connection; the relay is up.
  await using alpha = await TestClient.connect(relay.url);
  await alpha.register("Soldier_Alpha", alphaDevice);
  // The relay never logs a ticket.
  assert(!relay.process.output.includes(signature));
});

Deno.test("a restarted relay reads the key again and admits the same tickets", async () => {
  await using kms = await testKms();
  const device = await kms.device("Soldier_Alpha");
  for (const run of [1, 2]) {
    await using relay = await ticketRelay(kms.keyFile);
    await using alpha = await TestClient.connect(relay.url);
    const registered = await alpha.register("Soldier_Alpha", device);
    assertEquals(registered.online, ["Soldier_Alpha"], `run ${run}`);
  }
});

Deno.test("--kms waits for the KMS's GET /ticket_key before listening", async () => {
  await using kms = await testKms();
  const kmsPort = freePort();
  // A KMS still starting: its first answer is 503, whenever the relay asks.
  let asked = 0;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: kmsPort, onListen() {} },
    (request) =>
      new URL(request.url).pathname !== "/ticket_key"
        ? new Response("not found", { status: 404 })
        : asked++ === 0
        ? new Response("starting", { status: 503 })
        : Response.json({
          algorithm: "Ed25519",
          public_key: kms.identity.publicKey.toBase64(BASE64URL),
        }),
  );
  try {
    await using relay = await startRelay({
      open: false,
      args: ["--kms", `http://127.0.0.1:${kmsPort}`],
      net: [`127.0.0.1:${kmsPort}`],
    });
    assertStringIncludes(
      relay.process.output,
      `waiting for the KMS at http://127.0.0.1:${kmsPort}/ticket_key: HTTP 503`,
    );
    assert(asked >= 2, `asked ${asked} times`);
    await using alpha = await TestClient.connect(relay.url);
    await alpha.register("Soldier_Alpha", await kms.device("Soldier_Alpha"));
  } finally {
    await server.shutdown();
  }
});

Deno.test("a missing or bad --ticket-key file, or neither key nor --open, exits with 2 and one line", async () => {
  await using kms = await testKms();
  await Deno.writeTextFile(`${kms.keyFile}.bad`, "not a key\n");
  for (
    const [args, message] of [
      [["--ticket-key", `${kms.keyFile}.missing`], "cannot read --ticket-key"],
      [["--ticket-key", `${kms.keyFile}.bad`], "has 32 bytes"],
      [[], "give --ticket-key FILE or --kms URL"],
    ]
  ) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "-P=relay",
        `--allow-read=${kms.keyFile}.missing,${kms.keyFile}.bad`,
        "relay/main.ts",
        ...args,
      ],
      cwd: new URL("..", import.meta.url).pathname,
      stdout: "null",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 2, stderr);
    assertStringIncludes(stderr, message as string);
    assertEquals(stderr.trim().split("\n").length, 1, stderr);
  }
});

Deno.test("--open with a key: unticketed seed clients register, and a ticket takes their name over", async () => {
  await using kms = await testKms();
  await using relay = await ticketRelay(kms.keyFile, { open: true });
  assertStringIncludes(relay.process.output, "WARNING: --open");
  await using seed = await TestClient.connect(relay.url);
  seed.send({ from: "Soldier_Bravo" });
  assertEquals(
    (await seed.nextOfType("registered")).frame.device_id,
    "Soldier_Bravo",
  );
  await using bravo = await TestClient.connect(relay.url);
  await bravo.register("Soldier_Bravo", await kms.device("Soldier_Bravo"));
  assertEquals((await seed.closed).code, 4001);
  // Without a ticket or its resume token, nobody takes the name back.
  assertEquals(
    await refusedOpen(relay.url, { from: "Soldier_Bravo" }),
    "duplicate_device",
  );
  // A bad ticket is refused even here: it is not the same as no ticket.
  assertEquals(
    (await refused(relay.url, {
      type: "register",
      device_id: "Soldier_Charlie",
      ticket: await kms.ticket("Soldier_Charlie", { age: 2 * 3600 }),
    })).code,
    "ticket_invalid",
  );
});

async function refusedOpen(
  url: string,
  frame: Record<string, unknown>,
): Promise<unknown> {
  await using client = await TestClient.connect(url);
  client.send(frame);
  return (await client.nextOfType("error")).frame.code;
}

Deno.test("a peer holding Alpha's ticket but not her key cannot register as Alpha nor kick her; Alpha takes her name back", async () => {
  await using kms = await testKms();
  await using relay = await ticketRelay(kms.keyFile);
  const alphaDevice = await kms.device("Soldier_Alpha");
  await using stale = await TestClient.connect(relay.url);
  await stale.register("Soldier_Alpha", alphaDevice);
  // Every peer of Alpha gets her ticket inside her signed kem_offer.
  const mallory = await generateIdentity();
  for (const identity of [undefined, mallory]) {
    await using thief = await TestClient.connect(relay.url);
    const proof = identity && await proveRegistration(identity, {
      nonce: await thief.challenge,
      deviceId: "Soldier_Alpha",
    });
    thief.send({
      type: "register",
      device_id: "Soldier_Alpha",
      ticket: alphaDevice.ticket,
      proof,
    });
    assertEquals((await thief.nextOfType("error")).frame, {
      type: "error",
      code: "ticket_invalid",
      message: "no proof of the ticket's identity key",
    });
    assertEquals((await thief.closed).code, 1008);
  }
  assertEquals(stale.socket.readyState, WebSocket.OPEN, "Alpha stays");
  // The real Alpha, with her ticket and her key, takes over a stale socket.
  await using alpha = await TestClient.connect(relay.url);
  await alpha.register("Soldier_Alpha", alphaDevice);
  assertEquals((await stale.closed).code, 4001);
});

Deno.test("a proof replayed from another connection is refused", async () => {
  await using kms = await testKms();
  await using relay = await ticketRelay(kms.keyFile);
  const { identity, ticket } = await kms.device("Soldier_Alpha");
  await using first = await TestClient.connect(relay.url);
  await using second = await TestClient.connect(relay.url);
  const nonce = await first.challenge;
  assert(nonce !== await second.challenge, "each connection its own nonce");
  const proof = await proveRegistration(identity, {
    nonce,
    deviceId: "Soldier_Alpha",
  });
  second.send({ type: "register", device_id: "Soldier_Alpha", ticket, proof });
  assertEquals(
    (await second.nextOfType("error")).frame.message,
    "no proof of the ticket's identity key",
  );
  assertEquals((await second.closed).code, 1008);
  // On its own connection the same proof is accepted.
  first.send({ type: "register", device_id: "Soldier_Alpha", ticket, proof });
  assertEquals((await first.nextOfType("registered")).frame.online, [
    "Soldier_Alpha",
  ]);
});

Deno.test("a socket that does not register is closed after the register timeout, pongs or not", async () => {
  await using kms = await testKms();
  await using relay = await ticketRelay(kms.keyFile, { open: true });
  using raw = await RawClient.connect(relay.port);
  const started = Date.now();
  const pongs = setInterval(() => raw.sendPong().catch(() => {}), 500);
  try {
    assertEquals(await raw.readUntilClosed(), 1008);
  } finally {
    clearInterval(pongs);
  }
  const waited = Date.now() - started;
  assert(
    waited >= REGISTER_TIMEOUT_MS - 100,
    `closed after ${waited} ms, before the timeout`,
  );
  // The log line and the close travel separately (pipe and socket).
  await relay.process.waitForLine(/did not register/);
});

Deno.test("a ticketed connection is closed with 4002 when its ticket expires", async () => {
  await using kms = await testKms();
  await using relay = await ticketRelay(kms.keyFile);
  // Expired 55 s ago: still admitted within the clock skew, for 5 s more.
  const device = await kms.device("Soldier_Alpha", {
    age: 3600 + TICKET_CLOCK_SKEW_SECONDS - 5,
  });
  await using alpha = await TestClient.connect(relay.url);
  await alpha.register("Soldier_Alpha", device);
  assertEquals((await alpha.nextOfType("error", 10_000)).frame, {
    type: "error",
    code: "ticket_invalid",
    message: "ticket expired: renew it and register again",
  });
  assertEquals((await alpha.closed).code, 4002);
  // A fresh ticket admits the device again.
  await using again = await TestClient.connect(relay.url);
  await again.register("Soldier_Alpha", await kms.device("Soldier_Alpha"));
});
