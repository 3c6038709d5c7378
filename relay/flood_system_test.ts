/**
 * The relay as a real process against one host's floods: a sender filling
 * the store-and-forward queues gets only its share, so another sender's frame
 * to an offline device is still queued; eight 60 MB frames at once are
 * refused from their length headers and the relay's resident memory stays
 * under {@linkcode MEMORY_BOUND_BYTES}; one address at its connection cap
 * does not keep another out.
 */

import { assert, assertEquals, assertLess, assertRejects } from "@std/assert";
import { RawClient } from "./_test_raw_client.ts";
import { startRelay, TestClient } from "./_test_relay.ts";
import { retry } from "../testing/wait.ts";

/** The documented bound on the relay's peak resident memory (VmHWM). */
const MEMORY_BOUND_BYTES = 150 * 1024 * 1024;

const ackFor = (id: string) => (frame: Record<string, unknown>) =>
  frame.type === "ack" && frame.id === id;

function chat(sender: string, recipient: string, id: string): string {
  return JSON.stringify({
    type: "chat",
    sender,
    recipient,
    id,
    nonce: "00".repeat(12),
    ciphertext: "ab".repeat(2500),
  });
}

// Sends frames until one is refused; returns the refusal's reason.
async function floodUntilRefused(
  client: TestClient,
  recipients: string[],
): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const id = `f-${i}`;
    client.send(chat("Mallory", recipients[i % recipients.length], id));
    const { frame } = await client.next(ackFor(id));
    if (frame.status === "dropped") return frame.reason as string;
  }
  throw new Error("the flood was never refused");
}

Deno.test("one sender flooding offline devices cannot make another's frame to an offline device relay_full", async () => {
  const limits = [
    "--queue-total-bytes",
    "400000",
    "--queue-max-bytes",
    "200000",
  ];
  // With a share of 1 (the relay before per-sender shares) the same flood
  // does starve Alpha: the test tells the two apart.
  for (const [share, alphaGets] of [["0.25", "queued"], ["1", "dropped"]]) {
    await using relay = await startRelay({
      open: true,
      args: [...limits, "--sender-share", share],
    });
    await using mallory = await TestClient.connect(relay.url);
    await mallory.register("Mallory");
    const offline = Array.from({ length: 40 }, (_, i) => `Offline${i}`);
    if (share === "0.25") {
      // A quarter of Bravo's 200 kB queue, then a quarter of the 400 kB.
      assertEquals(await floodUntilRefused(mallory, ["Bravo"]), "queue_bytes");
      assertEquals(await floodUntilRefused(mallory, offline), "relay_full");
    } else {
      assertEquals(await floodUntilRefused(mallory, offline), "relay_full");
    }
    await using alpha = await TestClient.connect(relay.url);
    await alpha.register("Alpha");
    alpha.send(chat("Alpha", "Bravo", "real"));
    const { frame } = await alpha.next(ackFor("real"));
    assertEquals(frame.status, alphaGets, `share ${share}: ${frame.reason}`);
    if (alphaGets === "queued") {
      await using bravo = await TestClient.connect(relay.url);
      await bravo.register("Bravo");
      await bravo.next((f) => f.type === "chat" && f.id === "real");
      assertEquals(
        (await alpha.next(ackFor("real"))).frame.status,
        "delivered",
      );
    }
  }
});

Deno.test("eight 60 MB frames at once are refused from their headers: memory stays under the bound, the relay stays up", async () => {
  await using relay = await startRelay({ open: true });
  const before = await peakResident(relay.pid);
  let mostWritten = 0;
  const flooders = await Promise.all(
    Array.from({ length: 8 }, () => RawClient.connect(relay.port)),
  );
  try {
    const written = await Promise.all(
      flooders.map((client) => client.streamFrame(60_000_000)),
    );
    mostWritten = Math.max(...written);
    assertLess(mostWritten, 60_000_000, "the relay read a whole 60 MB frame");
    const closes = await Promise.all(
      flooders.map((client) => client.readUntilClosed()),
    );
    // A close frame, when the reset does not overtake it, says 1009.
    assert(closes.every((code) => code === undefined || code === 1009));
  } finally {
    for (const client of flooders) client[Symbol.dispose]();
  }
  const peak = await peakResident(relay.pid);
  console.log(
    `relay peak resident memory: ${mb(before)} MB before, ${mb(peak)} MB ` +
      `after eight 60 MB frames (bound ${mb(MEMORY_BOUND_BYTES)} MB); ` +
      `at most ${mb(mostWritten)} MB of one was written before the reset`,
  );
  assertLess(peak, MEMORY_BOUND_BYTES);
  await using alpha = await TestClient.connect(relay.url);
  await alpha.register("Alpha");
  const metrics = await relay.metrics();
  assertEquals(metrics.get('qstcs_relay_closed_total{code="1009"}'), 8);
});

// Deno asks for every permission to read another process's /proc entry;
// cat needs none.
async function peakResident(pid: number): Promise<number> {
  const { stdout } = await new Deno.Command("cat", {
    args: [`/proc/${pid}/status`],
  }).output();
  const status = new TextDecoder().decode(stdout);
  return Number(status.match(/VmHWM:\s+(\d+) kB/)![1]) * 1024;
}

function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

Deno.test("one address holding its connection cap does not keep another address out", async () => {
  await using relay = await startRelay({
    open: true,
    args: ["--max-connections-per-address", "8"],
  });
  // 40 connections from 127.0.0.1 that never send a request.
  const idle = await Promise.all(
    Array.from(
      { length: 40 },
      () => Deno.connect({ hostname: "127.0.0.1", port: relay.port }),
    ),
  );
  try {
    // 127.0.0.1 is at its cap: a WebSocket from it is turned away...
    await assertRejects(() => TestClient.connect(relay.url));
    // ...while another address is served.
    const curl = await new Deno.Command("curl", {
      args: [
        "-s",
        "--max-time",
        "5",
        "--interface",
        "127.0.0.2",
        `http://127.0.0.1:${relay.port}/healthz`,
      ],
    }).output();
    assertEquals(curl.code, 0, new TextDecoder().decode(curl.stderr));
    assertEquals(
      JSON.parse(new TextDecoder().decode(curl.stdout)).status,
      "ok",
    );
  } finally {
    for (const conn of idle) conn.close();
  }
  // Once the relay has seen them go, 127.0.0.1 is served again. Each attempt
  // is one more connection from that address: not too often.
  await using alpha = await retry(() => TestClient.connect(relay.url), {
    timeoutMs: 3000,
    intervalMs: 50,
  });
  await alpha.register("Alpha");
});
