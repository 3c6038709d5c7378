/**
 * Bench helper: the load `relay_bench.ts` offers a relay, the same for the
 * relay, the seeds' Python relay and a cluster: {@linkcode PAIRS} pairs of
 * devices sending {@linkcode FRAME_BYTES}-byte frames, flat out with
 * {@linkcode WINDOW} in flight per pair, then paced at
 * {@linkcode PACED_RATE} frames per second for latency.
 *
 * @module
 */

import { percentiles } from "../quantum/bb84_bench.ts";
import { cpuMilliseconds } from "./_test_bench_seed.ts";
import { waitUntil } from "../testing/wait.ts";

/** Pairs of devices, one sending to the other. */
export const PAIRS = 50;
/** Each frame's size in bytes. */
export const FRAME_BYTES = 256;
/** Frames in flight per pair, flat out. */
export const WINDOW = 32;
/** Frames per second offered for the latency figures. */
export const PACED_RATE = 10_000;

/** A sending and a receiving socket. */
export interface Pair {
  index: number;
  sender: WebSocket;
  receiver: WebSocket;
}

const PAD = "a".repeat(FRAME_BYTES);

/**
 * The frames a relay under test is fed: the relay's acked `chat` frames, or
 * the seeds' `{from, to}` frames for their Python relay.
 */
export interface Load {
  /** A frame of exactly {@linkcode FRAME_BYTES} bytes from pair `pair`. */
  frame(pair: number, seq: number): string;
  /** Whether a received text is a forwarded frame (not an ack or presence). */
  isFrame(text: string): boolean;
  /** Opens a socket for `deviceId`, registered as the relay wants. */
  register(url: string, deviceId: string): Promise<WebSocket>;
}

function padded(head: string): string {
  return head + PAD.slice(head.length + 2) + '"}';
}

/** The relay's load: chat frames with ids, each acked. */
export const RELAY_LOAD: Load = {
  frame: (pair, seq) =>
    padded(
      `{"type":"chat","sender":"bench-s${pair}",` +
        `"recipient":"bench-r${pair}","nonce":"${"0".repeat(24)}",` +
        `"timestamp":1700000000,"id":"m-${pair}-${seq}","key_id":"k-1",` +
        `"seq":${seq},"ciphertext":"`,
    ),
  isFrame: (text) => text.startsWith('{"type":"chat"'),
  register,
};

/** The seeds' load: the same fields in the seeds' `{from, to}` form. */
export const SEED_LOAD: Load = {
  frame: (pair, seq) =>
    padded(
      `{"from":"bench-s${pair}","to":"bench-r${pair}",` +
        `"nonce":"${"0".repeat(24)}","timestamp":1700000000,` +
        `"id":"m-${pair}-${seq}","key_id":"k-1","seq":${seq},"ciphertext":"`,
    ),
  isFrame: (text) => text.startsWith('{"from"'),
  // The seeds' relay answers nothing: its first frame names the socket.
  async register(url, deviceId) {
    const socket = await open(url);
    socket.send(JSON.stringify({ from: deviceId }));
    return socket;
  },
};

/** Opens a WebSocket to `url`. */
export function open(url: string): Promise<WebSocket> {
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
  load: Load,
): Promise<{ rate: number; received: number; notDelivered: number }> {
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
            sender.send(load.frame(index, sent++));
          }
          if (!running && got === sent) done();
        };
        receiver.onmessage = (event) => {
          if (!load.isFrame(String(event.data))) return;
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
    received,
    notDelivered,
  };
}

/** Sends {@linkcode PACED_RATE} frames per second for `seconds`; returns latencies in ms. */
async function pacedLatencies(
  pairs: Pair[],
  seconds: number,
  load: Load,
): Promise<number[]> {
  const latencies: number[] = [];
  const sentAt = pairs.map(() => [] as number[]);
  for (const { index, receiver } of pairs) {
    let next = 0;
    receiver.onmessage = (event) => {
      if (!load.isFrame(String(event.data))) return;
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
      sender.send(load.frame(index, sentAt[index].length));
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const expected = sentAt.reduce((sum, times) => sum + times.length, 0);
  await waitUntil(
    () => latencies.length >= expected,
    () => `${expected - latencies.length} more frames`,
  );
  return latencies;
}

/** What one relay carried under the bench's load. */
export interface Figures {
  /** Frames received per second, flat out. */
  rate: number;
  /** Acks that were not `delivered` (the relay's load only). */
  notDelivered: number;
  /** The relay processes' CPU time per 1,000 frames carried flat out, in ms. */
  cpuPerThousand: number;
  /** Latency percentiles at {@linkcode PACED_RATE}, in ms. */
  p50: number;
  p99: number;
}

/** Where a bench run's load goes, and whose CPU time it counts. */
export interface Target {
  /** Where the senders register. */
  senders: string;
  /** Where the receivers register. Default: {@linkcode Target.senders}. */
  receivers?: string;
  /** The processes that carry the frames (a relay, or cluster nodes). */
  pids: number[];
}

async function cpuOf(pids: number[]): Promise<number> {
  const times = await Promise.all(pids.map(cpuMilliseconds));
  return times.reduce((sum, ms) => sum + ms, 0);
}

/**
 * Registers {@linkcode PAIRS} pairs, warms up, then measures flat
 * throughput with the CPU time of the target's processes, and paced
 * latency; leaves the pairs closed.
 */
export async function measure(target: Target, load: Load): Promise<Figures> {
  const pairs: Pair[] = [];
  for (let index = 0; index < PAIRS; index++) {
    pairs.push({
      index,
      sender: await load.register(target.senders, `bench-s${index}`),
      receiver: await load.register(
        target.receivers ?? target.senders,
        `bench-r${index}`,
      ),
    });
  }
  // Let the relay's presence frames of 100 registrations go out first, and
  // the seeds' relay, which answers none, take in every name.
  await new Promise((resolve) => setTimeout(resolve, 200));
  await throughput(pairs, 1, load);
  const cpuBefore = await cpuOf(target.pids);
  const flat = await throughput(pairs, 4, load);
  const cpu = await cpuOf(target.pids) - cpuBefore;
  const latencies = await pacedLatencies(pairs, 5, load);
  await closeAll(pairs.flatMap(({ sender, receiver }) => [sender, receiver]));
  // The first tenth warms up.
  const { p50, p99 } = percentiles(
    latencies.slice(Math.floor(latencies.length / 10)),
  );
  return {
    rate: flat.rate,
    notDelivered: flat.notDelivered,
    cpuPerThousand: cpu / flat.received * 1000,
    p50,
    p99,
  };
}

/** Prints one relay's figures. */
export function report(label: string, figures: Figures): void {
  console.log(
    `  ${label}: ${Math.round(figures.rate).toLocaleString("en")} msgs/s, ` +
      `relay CPU ${figures.cpuPerThousand.toFixed(1)} ms per 1,000 frames; ` +
      `at ${PACED_RATE.toLocaleString("en")} msgs/s p50 ` +
      `${figures.p50.toFixed(2)} ms, p99 ${figures.p99.toFixed(2)} ms` +
      (figures.notDelivered > 0
        ? `; ${figures.notDelivered} acks not delivered`
        : ""),
  );
}

/** Closes `sockets` and waits until they are closed. */
export function closeAll(sockets: WebSocket[]): Promise<unknown[]> {
  return Promise.all(sockets.map((socket) =>
    new Promise((resolve) => {
      socket.onclose = resolve;
      socket.close();
    })
  ));
}

/** What holding frames for offline devices cost. */
export interface QueueFigures {
  /** Frames acked `queued`. */
  queued: number;
  /** Acks that said anything else. */
  notQueued: number;
  /** Wall-clock time per queued frame, from send to `queued` ack, in µs. */
  queueMicros: number;
  /** The target processes' CPU time per 1,000 frames queued, in ms. */
  cpuPerThousand: number;
  /** Wall-clock time per frame of the drain to the returning devices, in µs. */
  drainMicros: number;
}

/**
 * Frames held for offline devices: {@linkcode PAIRS} senders on
 * `target.senders` send `perPair` frames each ({@linkcode WINDOW} in flight)
 * to receivers that are not connected, then the receivers register on
 * `target.receivers` and get them; `between` runs after the queueing (to
 * read the relay's queue figures).
 */
export async function queueCost(
  target: Target,
  options: { perPair: number; between?: () => Promise<void> },
): Promise<QueueFigures> {
  const senders: WebSocket[] = [];
  for (let index = 0; index < PAIRS; index++) {
    senders.push(await register(target.senders, `bench-s${index}`));
  }
  let queued = 0;
  let notQueued = 0;
  const cpuBefore = await cpuOf(target.pids);
  const start = performance.now();
  await Promise.all(senders.map((sender, index) =>
    new Promise<void>((done) => {
      let sent = 0;
      let acked = 0;
      const pump = () => {
        while (sent < options.perPair && sent - acked < WINDOW) {
          sender.send(RELAY_LOAD.frame(index, sent++));
        }
        if (acked === options.perPair) done();
      };
      sender.onmessage = (event) => {
        const text = String(event.data);
        if (!text.startsWith('{"type":"ack"')) return;
        acked++;
        if (text.includes('"queued"')) queued++;
        else notQueued++;
        pump();
      };
      pump();
    })
  ));
  const queueMs = performance.now() - start;
  const cpu = await cpuOf(target.pids) - cpuBefore;
  // A queued frame's second ack, when it is drained, is not counted.
  for (const sender of senders) sender.onmessage = null;
  await options.between?.();
  let received = 0;
  const all = Promise.withResolvers<void>();
  const drainStart = performance.now();
  const receivers = await Promise.all(
    senders.map(async (_, index) => {
      const socket = await open(target.receivers ?? target.senders);
      socket.onmessage = (event) => {
        if (!RELAY_LOAD.isFrame(String(event.data))) return;
        if (++received === queued) all.resolve();
      };
      socket.send(
        JSON.stringify({ type: "register", device_id: `bench-r${index}` }),
      );
      return socket;
    }),
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stuck = new Promise<never>((_, reject) =>
    timer = setTimeout(
      () => reject(new Error(`${queued - received} queued frames never came`)),
      60_000,
    )
  );
  if (queued > 0) await Promise.race([all.promise, stuck]);
  clearTimeout(timer);
  const drainMs = performance.now() - drainStart;
  await closeAll([...senders, ...receivers]);
  return {
    queued,
    notQueued,
    queueMicros: queueMs * 1000 / Math.max(1, queued),
    cpuPerThousand: cpu / Math.max(1, queued) * 1000,
    drainMicros: drainMs * 1000 / Math.max(1, queued),
  };
}

/** Prints one relay's {@linkcode QueueFigures}. */
export function reportQueue(label: string, figures: QueueFigures): void {
  console.log(
    `  ${label}: ${figures.queued.toLocaleString("en")} frames queued, ` +
      `${figures.queueMicros.toFixed(0)} µs each (send to queued ack, ` +
      `${WINDOW} in flight per sender), relay CPU ` +
      `${figures.cpuPerThousand.toFixed(1)} ms per 1,000; drained to the ` +
      `returning devices in ${figures.drainMicros.toFixed(0)} µs each` +
      (figures.notQueued > 0 ? `; ${figures.notQueued} acks not queued` : ""),
  );
}
