/**
 * The relay as a real process with its permission set, over real sockets,
 * started with --open (unticketed registrations; tickets are tested in
 * ticket_system_test.ts):
 * routing byte for byte, broadcast, presence, store-and-forward with acks,
 * spoofing, duplicate registration and takeover, bad input, limits, idle and
 * slow clients, many clients, health and metrics.
 */

import {
  assert,
  assertEquals,
  assertGreater,
  assertLessOrEqual,
} from "@std/assert";
import {
  decryptPacket,
  encryptPacket,
  importPacketKey,
} from "../protocol/mod.ts";
import { freePort, startService } from "../common/service_process.ts";
import { RawClient } from "./_test_raw_client.ts";
import { startRelay, TestClient } from "./_test_relay.ts";

function chat(
  sender: string,
  recipient: string,
  fields: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    type: "chat",
    sender,
    recipient,
    nonce: "ab".repeat(12),
    ciphertext: "cd".repeat(24),
    timestamp: 1700000000,
    key_id: "k-1",
    seq: 0,
    ...fields,
  };
}

const isChat = (frame: Record<string, unknown>) => frame.type === "chat";
const ackFor = (id: string) => (frame: Record<string, unknown>) =>
  frame.type === "ack" && frame.id === id;

Deno.test("two devices exchange encrypted frames both ways, byte for byte, acked as delivered", async () => {
  await using relay = await startRelay({ open: true });
  await using alpha = await TestClient.connect(relay.url);
  await using bravo = await TestClient.connect(relay.url);
  await alpha.register("Soldier_Alpha");
  await bravo.register("Soldier_Bravo");
  const key = await importPacketKey(crypto.getRandomValues(new Uint8Array(32)));
  const packet = await encryptPacket(key, "Hold position", {
    sender: "Soldier_Alpha",
    recipient: "Soldier_Bravo",
    keyId: "k-1",
    seq: 0,
    id: "m-1",
  });
  // Spacing, key order and non-ASCII text a re-serialising relay would change.
  const text = `{ "ciphertext":"${packet.ciphertext}", "type":"chat",` +
    `"sender":"Soldier_Alpha","recipient":"Soldier_Bravo",` +
    `"nonce":"${packet.nonce}","timestamp":${packet.timestamp},` +
    `"id":"m-1","key_id":"k-1","seq":0,"note":"ünïcode ✓ \\u00e9" }`;
  alpha.send(text);
  const received = await bravo.next(isChat);
  assertEquals(received.text, text);
  const plaintext = await decryptPacket(key, received.frame);
  assertEquals(new TextDecoder().decode(plaintext), "Hold position");
  assertEquals((await alpha.next(ackFor("m-1"))).frame, {
    type: "ack",
    id: "m-1",
    status: "delivered",
  });

  const reply = JSON.stringify(chat("Soldier_Bravo", "Soldier_Alpha", {
    id: "m-2",
  }));
  bravo.send(reply);
  assertEquals((await alpha.next(isChat)).text, reply);
  assertEquals((await bravo.next(ackFor("m-2"))).frame.status, "delivered");

  await relay.process.waitForLine(/route Soldier_Bravo -> Soldier_Alpha/);
  const output = relay.process.output;
  assert(output.includes("route Soldier_Alpha -> Soldier_Bravo: delivered"));
  for (const secret of [packet.ciphertext, packet.nonce, "cd".repeat(24)]) {
    assert(!output.includes(secret), "the relay logged message contents");
  }
});

Deno.test("the older {from} and {from, to} forms register and route; a frame without id gets no ack", async () => {
  await using relay = await startRelay({ open: true });
  await using alice = await TestClient.connect(relay.url);
  await using bob = await TestClient.connect(relay.url);
  alice.send({ from: "alice" });
  assertEquals(
    (await alice.nextOfType("registered")).frame.device_id,
    "alice",
  );
  bob.send({ from: "bob" });
  await bob.nextOfType("registered");
  const legacy = JSON.stringify({
    from: "alice",
    to: "bob",
    ciphertext: "00",
    nonce: "11",
    tag: "22",
    session_id: "s-1",
  });
  alice.send(legacy);
  assertEquals((await bob.next((f) => f.from === "alice")).text, legacy);
  alice.send(chat("alice", "bob", { id: "later" }));
  await bob.next(isChat);
  // The first ack alice receives is for the later frame: none for the first.
  assertEquals((await alice.nextOfType("ack")).frame.id, "later");
});

Deno.test("recipient * reaches every other registered device, with one ack that counts them", async () => {
  await using relay = await startRelay({ open: true });
  await using alpha = await TestClient.connect(relay.url);
  await alpha.register("Alpha");
  const alone = JSON.stringify(chat("Alpha", "*", { id: "b-0" }));
  alpha.send(alone);
  assertEquals((await alpha.next(ackFor("b-0"))).frame, {
    type: "ack",
    id: "b-0",
    status: "dropped",
    reason: "no_recipients",
    delivered: 0,
    dropped: 0,
  });
  await using bravo = await TestClient.connect(relay.url);
  await using charlie = await TestClient.connect(relay.url);
  await bravo.register("Bravo");
  await charlie.register("Charlie");
  const text = JSON.stringify(chat("Alpha", "*", { id: "b-1" }));
  alpha.send(text);
  assertEquals((await bravo.next(isChat)).text, text);
  assertEquals((await charlie.next(isChat)).text, text);
  assertEquals((await alpha.next(ackFor("b-1"))).frame, {
    type: "ack",
    id: "b-1",
    status: "delivered",
    delivered: 2,
    dropped: 0,
  });
  alpha.send(chat("Alpha", "Bravo", { id: "after" }));
  await alpha.next(ackFor("after"));
  assert(!alpha.inbox.some((r) => r.frame.type === "chat"));
});

Deno.test("presence: registered lists who is online; others hear of joins and leaves", async () => {
  await using relay = await startRelay({ open: true });
  await using alpha = await TestClient.connect(relay.url);
  const first = await alpha.register("Alpha");
  assertEquals(first.online, ["Alpha"]);
  assertEquals(typeof first.resume, "string");
  {
    await using bravo = await TestClient.connect(relay.url);
    assertEquals((await bravo.register("Bravo")).online, ["Alpha", "Bravo"]);
    assertEquals((await alpha.nextOfType("presence")).frame, {
      type: "presence",
      online: ["Alpha", "Bravo"],
    });
  }
  assertEquals((await alpha.nextOfType("presence")).frame.online, ["Alpha"]);
  await relay.process.waitForLine(/disconnect Bravo \(#2\): close code \d+/);
  const output = relay.process.output;
  assert(output.includes("connect #2 from 127.0.0.1:"));
  assert(output.includes("register Bravo (#2): 2 online"));
});

Deno.test("frames for an offline device wait, then arrive in order; the sender hears queued then delivered", async () => {
  await using relay = await startRelay({ open: true });
  await using alpha = await TestClient.connect(relay.url);
  await alpha.register("Alpha");
  const texts = ["q-1", "q-2", "q-3"].map((id) =>
    JSON.stringify(chat("Alpha", "Bravo", { id }))
  );
  for (const text of texts) alpha.send(text);
  for (const id of ["q-1", "q-2", "q-3"]) {
    assertEquals((await alpha.next(ackFor(id))).frame, {
      type: "ack",
      id,
      status: "queued",
      reason: "offline",
    });
  }
  await relay.process.waitForLine(/WARNING: Bravo is offline/);
  await using bravo = await TestClient.connect(relay.url);
  await bravo.register("Bravo");
  for (const text of texts) assertEquals((await bravo.next(isChat)).text, text);
  for (const id of ["q-1", "q-2", "q-3"]) {
    assertEquals((await alpha.next(ackFor(id))).frame.status, "delivered");
  }
  const metrics = await relay.metrics();
  assertEquals(metrics.get("qstcs_relay_frames_queued_total"), 3);
  assertEquals(metrics.get("qstcs_relay_queue_frames"), 0);
});

Deno.test("queue limits: count and bytes drop new frames with a reason", async () => {
  // One sender may fill whole queues here (--sender-share 1): the share one
  // sender gets is tested in flood_system_test.ts.
  await using relay = await startRelay({
    open: true,
    args: [
      "--queue-max-frames",
      "2",
      "--queue-max-bytes",
      "1000",
      "--sender-share",
      "1",
    ],
  });
  await using alpha = await TestClient.connect(relay.url);
  await alpha.register("Alpha");
  for (const id of ["c-1", "c-2", "c-3"]) {
    alpha.send(chat("Alpha", "Bravo", { id }));
  }
  assertEquals((await alpha.next(ackFor("c-2"))).frame.status, "queued");
  assertEquals((await alpha.next(ackFor("c-3"))).frame, {
    type: "ack",
    id: "c-3",
    status: "dropped",
    reason: "queue_full",
  });
  const big = (id: string) =>
    chat("Alpha", "Charlie", { id, ciphertext: "00".repeat(300) });
  alpha.send(big("b-1"));
  alpha.send(big("b-2"));
  assertEquals((await alpha.next(ackFor("b-1"))).frame.status, "queued");
  assertEquals((await alpha.next(ackFor("b-2"))).frame.reason, "queue_bytes");
  const metrics = await relay.metrics();
  assertEquals(
    metrics.get('qstcs_relay_frames_dropped_total{reason="queue_full"}'),
    1,
  );
  assertEquals(metrics.get("qstcs_relay_queue_frames"), 3);
});

Deno.test("queued frames expire with a dropped ack, kept for a sender that went offline", async () => {
  // Long enough that the relay has surely seen Alpha leave (it may take a
  // while on a loaded machine) before e-2 expires.
  const maxAgeMs = 2000;
  await using relay = await startRelay({
    open: true,
    args: ["--queue-max-age-ms", String(maxAgeMs)],
  });
  {
    await using alpha = await TestClient.connect(relay.url);
    await alpha.register("Alpha");
    alpha.send(chat("Alpha", "Bravo", { id: "e-1" }));
    assertEquals((await alpha.next(ackFor("e-1"))).frame.status, "queued");
    assertEquals((await alpha.next(ackFor("e-1"))).frame, {
      type: "ack",
      id: "e-1",
      status: "dropped",
      reason: "expired",
    });
    alpha.send(chat("Alpha", "Bravo", { id: "e-2" }));
    assertEquals((await alpha.next(ackFor("e-2"))).frame.status, "queued");
  }
  const queuedAt = Date.now();
  // Alpha left before e-2 expired: the ack waits for Alpha to come back.
  // e-2 expires maxAgeMs after it was queued and its ack then waits as long
  // again itself, so Alpha comes back early in that window. Bravo comes
  // after, so that e-2 cannot have reached it.
  while ((await relay.metrics()).get("qstcs_relay_devices_online") !== 0) {
    assert(
      Date.now() - queuedAt < maxAgeMs,
      "the relay did not see Alpha leave",
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await new Promise((resolve) =>
    setTimeout(resolve, queuedAt + maxAgeMs + 300 - Date.now())
  );
  await using alpha = await TestClient.connect(relay.url);
  await alpha.register("Alpha");
  assertEquals((await alpha.nextOfType("ack")).frame, {
    type: "ack",
    id: "e-2",
    status: "dropped",
    reason: "expired",
  });
  await using bravo = await TestClient.connect(relay.url);
  await bravo.register("Bravo");
  alpha.send(chat("Alpha", "Bravo", { id: "fresh" }));
  assertEquals((await bravo.next(isChat)).frame.id, "fresh");
});

Deno.test("a frame whose sender is not the connection's device is refused and not forwarded", async () => {
  await using relay = await startRelay({ open: true });
  await using alpha = await TestClient.connect(relay.url);
  await using charlie = await TestClient.connect(relay.url);
  await alpha.register("Alpha");
  await charlie.register("Charlie");
  alpha.send(chat("Bravo", "Charlie", { id: "spoof" }));
  const { frame } = await alpha.nextOfType("error");
  assertEquals(frame.code, "spoofed_sender");
  alpha.send(chat("Alpha", "Charlie", { id: "honest" }));
  assertEquals((await charlie.next(isChat)).frame.id, "honest");
  assert(!alpha.inbox.some((r) => r.frame.id === "spoof"));
});

Deno.test("a device id already online is refused; its resume token takes over and closes the old socket with 4001", async () => {
  await using relay = await startRelay({ open: true });
  await using first = await TestClient.connect(relay.url);
  const { resume } = await first.register("Alpha");
  await using bravo = await TestClient.connect(relay.url);
  await bravo.register("Bravo");

  await using intruder = await TestClient.connect(relay.url);
  intruder.send({ type: "register", device_id: "Alpha" });
  assertEquals(
    (await intruder.nextOfType("error")).frame.code,
    "duplicate_device",
  );
  intruder.send({ type: "register", device_id: "Alpha", resume: "guess" });
  assertEquals(
    (await intruder.nextOfType("error")).frame.code,
    "duplicate_device",
  );
  first.send({ type: "register", device_id: "Alpha2" });
  assertEquals(
    (await first.nextOfType("error")).frame.code,
    "duplicate_device",
  );

  await using second = await TestClient.connect(relay.url);
  const taken = await second.register("Alpha", { resume });
  assertEquals(taken.online, ["Alpha", "Bravo"]);
  const closed = await first.closed;
  assertEquals(closed.code, 4001);
  bravo.send(chat("Bravo", "Alpha", { id: "to-new" }));
  assertEquals((await second.next(isChat)).frame.id, "to-new");
  assertEquals((await bravo.next(ackFor("to-new"))).frame.status, "delivered");
});

Deno.test("bad input gets an error frame; the connection and everyone else carry on", async () => {
  await using relay = await startRelay({
    open: true,
    args: ["--max-frame-bytes", "1024"],
  });
  await using bravo = await TestClient.connect(relay.url);
  await using charlie = await TestClient.connect(relay.url);
  await bravo.register("Bravo");
  await charlie.register("Charlie");
  await using client = await TestClient.connect(relay.url);
  const cases: [string | Uint8Array, string][] = [
    ["not json", "bad_json"],
    ["[1,2]", "bad_json"],
    [new Uint8Array([1, 2, 3]), "binary_frame"],
    ['{"device_id":"x"}', "missing_field"],
    ['{"type":"register"}', "missing_field"],
    ['{"type":"register","device_id":42}', "bad_field"],
    ['{"type":"register","device_id":"x","resume":7}', "bad_field"],
    ['{"type":"hello"}', "unknown_type"],
    [JSON.stringify(chat("Delta", "Bravo")), "not_registered"],
    [
      JSON.stringify(chat("Delta", "Bravo", { pad: "x".repeat(1100) })),
      "frame_too_large",
    ],
    [
      JSON.stringify(chat("Delta", "Bravo", { pad: "é".repeat(600) })),
      "frame_too_large",
    ],
  ];
  for (const [frame, code] of cases) {
    client.socket.send(frame);
    const error = (await client.nextOfType("error")).frame;
    assertEquals(error.code, code, String(frame));
    assertEquals(typeof error.message, "string");
  }
  await client.register("Delta");
  client.send(
    chat("Delta", "Bravo", { id: "ok", ciphertext: "00".repeat(400) }),
  );
  assertEquals((await client.next(ackFor("ok"))).frame.status, "delivered");
  const text = JSON.stringify(chat("Bravo", "Charlie", { id: "x" }));
  bravo.send(text);
  assertEquals((await charlie.next(isChat)).text, text);
  assertEquals((await bravo.next(isChat)).frame.sender, "Delta");
  assert(!bravo.inbox.some((r) => r.frame.type === "error"));
  const metrics = await relay.metrics();
  assertEquals(
    metrics.get('qstcs_relay_frames_refused_total{code="frame_too_large"}'),
    2,
  );
});

Deno.test("repeated abuse closes the connection: 1009 oversize, 1003 binary, 1008 garbage", async () => {
  await using relay = await startRelay({
    open: true,
    args: ["--max-frame-bytes", "1024"],
  });
  const abuses: [string | Uint8Array, number][] = [
    ["x".repeat(2000), 1009],
    [new Uint8Array(8), 1003],
    ["garbage", 1008],
  ];
  for (const [frame, code] of abuses) {
    await using client = await TestClient.connect(relay.url);
    // All 21 at once (a strike comes back every second, so a slow round trip
    // each could outlast the budget), and nothing after the 21st: a client
    // that keeps sending after the close may see a reset, not the close.
    for (let errors = 0; errors < 21; errors++) client.socket.send(frame);
    for (let errors = 0; errors < 21; errors++) {
      await client.nextOfType("error");
    }
    assertEquals((await client.closed).code, code);
  }
  await using survivor = await TestClient.connect(relay.url);
  await survivor.register("Survivor");
  const metrics = await relay.metrics();
  assertEquals(metrics.get('qstcs_relay_closed_total{code="1009"}'), 1);
  assertEquals(metrics.get('qstcs_relay_closed_total{code="1003"}'), 1);
  assertEquals(metrics.get('qstcs_relay_closed_total{code="1008"}'), 1);
});

Deno.test("the rate limit drops excess frames with an ack, then closes a flooding connection with 1008", async () => {
  await using relay = await startRelay({
    open: true,
    args: ["--rate-limit", "10"],
  });
  await using bravo = await TestClient.connect(relay.url);
  await bravo.register("Bravo");
  await using alpha = await TestClient.connect(relay.url);
  await alpha.register("Alpha");
  const statuses: unknown[] = [];
  for (let i = 0; alpha.socket.readyState === WebSocket.OPEN; i++) {
    assert(i < 100, "never closed");
    alpha.send(chat("Alpha", "Bravo", { id: `r-${i}` }));
    const ack = await alpha.next(ackFor(`r-${i}`)).catch(() => undefined);
    if (ack) statuses.push(ack.frame.reason ?? ack.frame.status);
  }
  assertEquals((await alpha.closed).code, 1008);
  const delivered = statuses.filter((s) => s === "delivered").length;
  // Ten tokens, one spent on register, and a few refilled meanwhile; then
  // one strike per limited frame until the twenty-first. A token comes back
  // every 100 ms (and a strike every second), so on a slow machine a frame
  // may get through between the limited ones, and one more strike is needed.
  const firstLimited = statuses.indexOf("rate_limited");
  assertGreater(firstLimited, 8);
  assertEquals(
    statuses.slice(0, firstLimited),
    Array(firstLimited).fill("delivered"),
  );
  const limited = statuses.slice(firstLimited);
  assertEquals(
    limited.filter((s) => s !== "rate_limited" && s !== "delivered"),
    [],
  );
  assertGreater(limited.filter((s) => s === "rate_limited").length, 20);
  assertEquals(limited.at(-1), "rate_limited");
  // Whatever alpha got through reached bravo before this later frame.
  await using charlie = await TestClient.connect(relay.url);
  await charlie.register("Charlie");
  charlie.send(chat("Charlie", "Bravo", { id: "sentinel" }));
  await bravo.next((f) => f.id === "sentinel");
  const fromAlpha = bravo.inbox.filter((r) => r.frame.sender === "Alpha");
  assertEquals(fromAlpha.length, delivered);
});

Deno.test("a client that stops answering pings is closed (1001) and its device id is free again", async () => {
  await using relay = await startRelay({
    open: true,
    args: ["--idle-timeout", "0.6"],
  });
  await using bravo = await TestClient.connect(relay.url);
  await bravo.register("Bravo");
  using silent = await RawClient.connect(relay.port);
  await silent.sendText(
    JSON.stringify({ type: "register", device_id: "Alpha" }),
  );
  assertEquals((await bravo.nextOfType("presence")).frame.online, [
    "Alpha",
    "Bravo",
  ]);
  // Deno's idle timer resets on every frame, pong or not: bravo answers pings
  // by itself, the raw client never does.
  assertEquals(await silent.readUntilClosed(), 1001);
  assertEquals((await bravo.nextOfType("presence")).frame.online, ["Bravo"]);
  await using alpha = await TestClient.connect(relay.url);
  await alpha.register("Alpha");
  assertEquals(bravo.socket.readyState, WebSocket.OPEN);
});

Deno.test("a slow reader: frames queue within the limits, then drop with an ack; memory stays bounded; the stalled socket is closed", async () => {
  const maxBuffered = 64 * 1024;
  const queueBytes = 256 * 1024;
  await using relay = await startRelay({
    open: true,
    args: [
      "--max-buffered-bytes",
      String(maxBuffered),
      "--queue-max-bytes",
      String(queueBytes),
      "--queue-max-frames",
      "10000",
      "--idle-timeout",
      "2",
    ],
  });
  await using alpha = await TestClient.connect(relay.url);
  await alpha.register("Alpha");
  using slow = await RawClient.connect(relay.port);
  await slow.sendText(JSON.stringify({ type: "register", device_id: "Slow" }));
  // Alive by the idle timer's standard, but it never reads.
  const heartbeat = setInterval(() => slow.sendPong(), 300);
  using _ = { [Symbol.dispose]: () => clearInterval(heartbeat) };
  await alpha.next((f) =>
    f.type === "presence" && (f.online as string[]).includes("Slow")
  );
  const rssBefore = (await relay.metrics()).get(
    "process_resident_memory_bytes",
  )!;
  const payload = "ab".repeat(16 * 1024);
  const statuses: string[] = [];
  let batch = 0;
  const flood = async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `s-${batch}-${i}`);
    batch++;
    for (const id of ids) {
      alpha.send(chat("Alpha", "Slow", { id, ciphertext: payload }));
    }
    for (const id of ids) {
      statuses.push((await alpha.next(ackFor(id))).frame.status as string);
    }
    const metrics = await relay.metrics();
    assertLessOrEqual(metrics.get("qstcs_relay_queue_bytes")!, queueBytes);
    assertLessOrEqual(
      metrics.get("qstcs_relay_socket_buffered_bytes")!,
      maxBuffered + 64 * 1024,
    );
    return metrics;
  };
  while (!statuses.includes("dropped")) {
    assert(batch < 100, "no frame was ever dropped");
    await flood();
  }
  const firstQueued = statuses.indexOf("queued");
  assert(statuses[0] === "delivered", statuses.join());
  assert(
    firstQueued > 0 && firstQueued < statuses.indexOf("dropped"),
    statuses.join(),
  );
  // Keep pushing until the kernel's socket buffers are full too and the
  // relay's send buffer stays above the bound for the idle timeout.
  let metrics = await flood();
  while (
    !relay.process.output.includes("closing Slow (#2): 4003 not reading")
  ) {
    assert(batch < 400, "the stalled socket was never closed");
    metrics = await flood();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assertGreater(
    metrics.get('qstcs_relay_frames_dropped_total{reason="queue_bytes"}')!,
    0,
  );
  const growth = metrics.get("process_resident_memory_bytes")! - rssBefore;
  assertLessOrEqual(growth, 48 * 1024 * 1024, `RSS grew by ${growth} bytes`);
  assertEquals((await alpha.nextOfType("presence")).frame.online, ["Alpha"]);
});

Deno.test("200 concurrent clients register and each gets its neighbour's frame", async () => {
  // All from 127.0.0.1, past the default cap of 64 connections per address.
  await using relay = await startRelay({
    open: true,
    args: ["--max-connections-per-address", "256"],
  });
  const count = 200;
  const clients = await Promise.all(
    Array.from({ length: count }, () => TestClient.connect(relay.url)),
  );
  try {
    const registered = await Promise.all(
      clients.map((client, i) => client.register(`c${i}`)),
    );
    const texts = clients.map((_, i) =>
      JSON.stringify(chat(`c${i}`, `c${(i + 1) % count}`, { id: `n-${i}` }))
    );
    clients.forEach((client, i) => client.send(texts[i]));
    await Promise.all(clients.map(async (client, i) => {
      const received = await client.next(isChat, 15_000);
      assertEquals(received.text, texts[(i + count - 1) % count]);
      let ack = await client.next(ackFor(`n-${i}`), 15_000);
      if (ack.frame.status === "queued") {
        ack = await client.next(ackFor(`n-${i}`), 15_000);
      }
      assertEquals(ack.frame.status, "delivered");
    }));
    // Each client's newest list, from its registered or a presence frame,
    // ends up naming all of them.
    await Promise.all(clients.map(async (client, i) => {
      if ((registered[i].online as string[]).length === count) return;
      await client.next(
        (f) => f.type === "presence" && (f.online as string[]).length === count,
        15_000,
      );
    }));
    const metrics = await relay.metrics();
    assertEquals(metrics.get("qstcs_relay_connections"), count);
    assertEquals(metrics.get("qstcs_relay_devices_online"), count);
  } finally {
    await Promise.all(clients.map((client) => client[Symbol.asyncDispose]()));
  }
});

Deno.test("GET /healthz and /metrics; plain GET / asks for an upgrade; other paths 404", async () => {
  await using relay = await startRelay({ open: true });
  await using alpha = await TestClient.connect(relay.url);
  await alpha.register("Alpha");
  const base = `http://127.0.0.1:${relay.port}`;
  const health = await fetch(`${base}/healthz`);
  assertEquals(health.status, 200);
  assertEquals(await health.json(), {
    status: "ok",
    connections: 1,
    devices: 1,
  });
  const metrics = await fetch(`${base}/metrics`);
  assert(
    metrics.headers.get("content-type")!.startsWith(
      "text/plain; version=0.0.4",
    ),
  );
  const text = await metrics.text();
  for (
    const name of [
      "qstcs_relay_connections",
      "qstcs_relay_frames_relayed_total",
      "qstcs_relay_frames_queued_total",
      "qstcs_relay_frames_dropped_total",
      "qstcs_relay_frames_refused_total",
      "qstcs_relay_queue_bytes",
    ]
  ) {
    assert(text.includes(`# TYPE ${name} `), name);
  }
  const root = await fetch(`${base}/`);
  assertEquals(root.status, 426);
  await root.body?.cancel();
  const missing = await fetch(`${base}/nope`);
  assertEquals(missing.status, 404);
  await missing.body?.cancel();
  // A WebSocket on any path reaches the relay.
  await using other = await TestClient.connect(`${relay.url}/chat`);
  await other.register("Other");
});

Deno.test("RELAY_HOST, RELAY_PORT, RELAY_MAX_FRAME_BYTES and RELAY_OPEN configure the relay; bad values exit with 2", async () => {
  const port = freePort();
  const relay = await startService({
    permissionSet: "relay",
    entry: "relay/main.ts",
    env: {
      RELAY_HOST: "127.0.0.1",
      RELAY_PORT: String(port),
      RELAY_MAX_FRAME_BYTES: "100",
      RELAY_OPEN: "1",
    },
    net: [`127.0.0.1:${port}`],
  }, { ready: /listening on ws:/ });
  try {
    assert(relay.output.includes(`listening on ws://127.0.0.1:${port}`));
    assert(relay.output.includes("WARNING: --open"));
    await using client = await TestClient.connect(`ws://127.0.0.1:${port}`);
    client.send("x".repeat(101));
    assertEquals(
      (await client.nextOfType("error")).frame.code,
      "frame_too_large",
    );
  } finally {
    await relay.stop();
  }
  const bad = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-P=relay", "relay/main.ts", "--rate-limit", "0"],
    cwd: new URL("..", import.meta.url).pathname,
    stdout: "null",
    stderr: "piped",
  }).output();
  assertEquals(bad.code, 2);
  assert(new TextDecoder().decode(bad.stderr).includes("--rate-limit must be"));
});
