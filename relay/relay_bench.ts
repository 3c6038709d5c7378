/**
 * `deno task bench` part 2: the relay's throughput, latency and memory.
 *
 * Starts the real relay process (permission set "relay", loopback port) and
 * drives it from this process over real WebSockets: 1:1 traffic between 50
 * pairs of devices with 256-byte chat frames, flat out and then paced at
 * 10,000 messages per second for latency, and finally 5,000 idle
 * connections to weigh the relay's resident memory per connection. The idle
 * connections are open WebSockets that never register: presence frames
 * carry the whole online list, so 5,000 registrations would measure presence
 * traffic (on the order of 5,000² device ids), not connections.
 *
 * Run with `deno run -P=bench relay/relay_bench.ts`.
 *
 * @module
 */

import { percentiles } from "../quantum/bb84_bench.ts";
import { startRelay, type TestRelay } from "./_test_relay.ts";

const PAIRS = 50;
const FRAME_BYTES = 256;
const WINDOW = 32;
const PACED_RATE = 10_000;
const IDLE_CONNECTIONS = 5_000;

interface Pair {
  index: number;
  sender: WebSocket;
  receiver: WebSocket;
}

const PAD = "a".repeat(FRAME_BYTES);

/** A chat frame of exactly {@linkcode FRAME_BYTES} bytes. */
function chatFrame(pair: number, seq: number): string {
  const head = `{"type":"chat","sender":"bench-s${pair}",` +
    `"recipient":"bench-r${pair}","nonce":"${"0".repeat(24)}",` +
    `"timestamp":1700000000,"id":"m-${pair}-${seq}","key_id":"k-1",` +
    `"seq":${seq},"ciphertext":"`;
  return head + PAD.slice(head.length + 2) + '"}';
}

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.onopen = () => resolve(socket);
    socket.onerror = () => reject(new Error(`cannot connect to ${url}`));
  });
}

async function register(url: string, deviceId: string): Promise<WebSocket> {
  const socket = await open(url);
  await new Promise<void>((resolve, reject) => {
    socket.onmessage = (event) => {
      if (String(event.data).startsWith('{"type":"registered"')) resolve();
      else if (String(event.data).startsWith('{"type":"error"')) {
        reject(new Error(`register ${deviceId}: ${event.data}`));
      }
    };
    socket.send(JSON.stringify({ type: "register", device_id: deviceId }));
  });
  return socket;
}

/**
 * Each pair keeps {@linkcode WINDOW} frames in flight for `seconds`; returns
 * frames received per second and acks that were not `delivered`.
 */
async function throughput(
  pairs: Pair[],
  seconds: number,
): Promise<{ rate: number; notDelivered: number }> {
  let received = 0;
  let notDelivered = 0;
  let running = true;
  const start = performance.now();
  await Promise.all(
    pairs.map(({ index, sender, receiver }) =>
      new Promise<void>((done) => {
        let sent = 0;
        let got = 0;
        const pump = () => {
          while (running && sent - got < WINDOW) {
            sender.send(chatFrame(index, sent++));
          }
          if (!running && got === sent) done();
        };
        receiver.onmessage = (event) => {
          if (!String(event.data).startsWith('{"type":"chat"')) return;
          got++;
          received++;
          pump();
        };
        sender.onmessage = (event) => {
          const text = String(event.data);
          if (text.startsWith('{"type":"ack"') && !text.includes("delivered")) {
            notDelivered++;
          }
        };
        pump();
      })
    ).concat(
      new Promise<void>((resolve) =>
        setTimeout(() => {
          running = false;
          resolve();
        }, seconds * 1000)
      ),
    ),
  );
  return {
    rate: received / ((performance.now() - start) / 1000),
    notDelivered,
  };
}

/** Sends {@linkcode PACED_RATE} frames per second for `seconds`; returns latencies in ms. */
async function pacedLatencies(
  pairs: Pair[],
  seconds: number,
): Promise<number[]> {
  const latencies: number[] = [];
  const sentAt = pairs.map(() => [] as number[]);
  for (const { index, receiver } of pairs) {
    let next = 0;
    receiver.onmessage = (event) => {
      if (!String(event.data).startsWith('{"type":"chat"')) return;
      latencies.push(performance.now() - sentAt[index][next++]);
    };
  }
  // Frames go out evenly spread, round robin over the pairs, as many as are
  // due whenever the timer wakes: the offered rate stays exact.
  const start = performance.now();
  let sent = 0;
  while (performance.now() - start < seconds * 1000) {
    const due = Math.floor((performance.now() - start) * PACED_RATE / 1000);
    for (; sent < due; sent++) {
      const { index, sender } = pairs[sent % pairs.length];
      sentAt[index].push(performance.now());
      sender.send(chatFrame(index, sentAt[index].length));
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const expected = sentAt.reduce((sum, times) => sum + times.length, 0);
  const deadline = performance.now() + 5000;
  while (latencies.length < expected) {
    if (performance.now() > deadline) {
      throw new Error(`${expected - latencies.length} frames never arrived`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return latencies;
}

function closeAll(sockets: WebSocket[]): Promise<unknown[]> {
  return Promise.all(sockets.map((socket) =>
    new Promise((resolve) => {
      socket.onclose = resolve;
      socket.close();
    })
  ));
}

async function idleMemoryPerConnection(relay: TestRelay): Promise<number> {
  const rss = "process_resident_memory_bytes";
  const before = (await relay.metrics()).get(rss)!;
  const sockets: WebSocket[] = [];
  try {
    for (let i = 0; i < IDLE_CONNECTIONS; i += 250) {
      const batch = Array.from(
        { length: Math.min(250, IDLE_CONNECTIONS - i) },
        () => open(relay.url),
      );
      sockets.push(...await Promise.all(batch));
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const metrics = await relay.metrics();
    const connections = metrics.get("qstcs_relay_connections");
    if (connections !== IDLE_CONNECTIONS) {
      throw new Error(`relay reports ${connections} connections`);
    }
    return (metrics.get(rss)! - before) / IDLE_CONNECTIONS;
  } finally {
    await closeAll(sockets);
  }
}

// Pairs go as fast as the relay lets them, well past the per-connection
// rate limit (2,000 frames/s), which would drop frames and stall the
// windows: the bench measures the relay, not the limit.
const RATE_LIMIT = 1_000_000;

if (import.meta.main) {
  // All the load comes from 127.0.0.1: the cap per address is lifted too.
  await using relay = await startRelay({
    open: true,
    args: [
      "--rate-limit",
      String(RATE_LIMIT),
      "--max-connections-per-address",
      String(IDLE_CONNECTIONS + 2 * PAIRS),
    ],
  });
  console.log(
    "Relay (relay/): the relay process with default limits but " +
      `--rate-limit ${RATE_LIMIT.toLocaleString("en")}; load from this ` +
      "process on the same machine",
  );
  const pairs: Pair[] = [];
  for (let index = 0; index < PAIRS; index++) {
    pairs.push({
      index,
      sender: await register(relay.url, `bench-s${index}`),
      receiver: await register(relay.url, `bench-r${index}`),
    });
  }
  // Let the presence frames of 100 registrations go out first.
  await new Promise((resolve) => setTimeout(resolve, 200));
  await throughput(pairs, 1);
  const flat = await throughput(pairs, 4);
  console.log(
    `  1:1 throughput, ${PAIRS} pairs, ${FRAME_BYTES}-byte frames, acked: ${
      Math.round(flat.rate).toLocaleString("en")
    } msgs/s (target >= 40,000)` +
      (flat.notDelivered > 0
        ? `; ${flat.notDelivered} acks not delivered`
        : ""),
  );
  const latencies = await pacedLatencies(pairs, 5);
  // The first tenth warms up.
  const { p50, p99 } = percentiles(
    latencies.slice(Math.floor(latencies.length / 10)),
  );
  console.log(
    `  latency at ${PACED_RATE.toLocaleString("en")} msgs/s, ${PAIRS} pairs: ` +
      `p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms (target p99 < 25 ms)`,
  );
  await closeAll(pairs.flatMap(({ sender, receiver }) => [sender, receiver]));
  const perConnection = await idleMemoryPerConnection(relay);
  console.log(
    `  memory per idle connection at ${
      IDLE_CONNECTIONS.toLocaleString("en")
    } connections: ${
      (perConnection / 1024).toFixed(1)
    } KiB (target < 30 KiB; ` +
      "growth of the relay's resident memory, open WebSockets not registered)",
  );
}
