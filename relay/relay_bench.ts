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
 * First the same throughput and latency runs (the load of
 * `_test_bench_load.ts`) drive the seeds' 20-line Python relay
 * (`_test_bench_seed.ts`), in its own process, with the same pairs, frame
 * size and window: the relay must carry at least twice as much with
 * its acks on. Both report their CPU time per 1,000 frames from
 * /proc/PID/stat, since on this 2-core machine the load generator in this
 * process competes with the relay and bounds the messages per second.
 *
 * Run with `deno run -P=bench relay/relay_bench.ts`.
 *
 * @module
 */

import {
  closeAll,
  FRAME_BYTES,
  measure,
  open,
  PAIRS,
  queueCost,
  RELAY_LOAD,
  report,
  reportQueue,
  SEED_LOAD,
  WINDOW,
} from "./_test_bench_load.ts";
import { startSeedRelay } from "./_test_bench_seed.ts";
import { natsMissing, startNats, startNode } from "./_test_nats.ts";
import { startRelay, type TestRelay } from "./_test_relay.ts";

const IDLE_CONNECTIONS = 5_000;

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
const LOAD_ARGS = [
  "--rate-limit",
  String(RATE_LIMIT),
  // All the load comes from 127.0.0.1: the cap per address is lifted too.
  "--max-connections-per-address",
  String(IDLE_CONNECTIONS + 2 * PAIRS),
];
// Frames each sender queues for its offline receiver: within its share of
// the recipient's queue (a quarter of 256 frames by default).
const QUEUED_PER_PAIR = 60;

/**
 * Two relay nodes on a nats-server with JetStream: the same load through
 * one node and across the two, and frames queued in JetStream by node 1
 * for devices that come back on node 2. CPU is the two nodes' (the
 * nats-server's is not counted).
 */
async function clusterFigures(): Promise<void> {
  const missing = await natsMissing();
  if (missing) {
    console.log(`  cluster: not measured, ${missing}`);
    return;
  }
  await using nats = await startNats();
  await using node1 = await startNode(nats, "node1", { args: LOAD_ARGS });
  await using node2 = await startNode(nats, "node2", { args: LOAD_ARGS });
  const pids = [node1.pid, node2.pid];
  report(
    "cluster of 2 nodes, both ends on node 1",
    await measure({ senders: node1.url, pids }, RELAY_LOAD),
  );
  report(
    "cluster of 2 nodes, senders on node 1, receivers on node 2",
    await measure(
      { senders: node1.url, receivers: node2.url, pids },
      RELAY_LOAD,
    ),
  );
  let perFrame = "";
  const queued = await queueCost(
    { senders: node1.url, receivers: node2.url, pids },
    {
      perPair: QUEUED_PER_PAIR,
      async between() {
        // The JetStream stream's figures, as node 1's /metrics reports them.
        await new Promise((resolve) => setTimeout(resolve, 1500));
        const metrics = await node1.metrics();
        const frames = metrics.get("qstcs_relay_jetstream_queue_frames") ?? 0;
        const bytes = metrics.get("qstcs_relay_jetstream_queue_bytes") ?? 0;
        if (frames > 0) {
          perFrame = `; JetStream holds ${
            Math.round(bytes / frames)
          } bytes per ${FRAME_BYTES}-byte frame`;
        }
      },
    },
  );
  reportQueue(
    "cluster, queued in JetStream by node 1, drained by node 2",
    queued,
  );
  if (perFrame) console.log(`   ${perFrame.slice(1)}`);
}

if (import.meta.main) {
  const loadBefore = Deno.loadavg()[0];
  const seed = await (async () => {
    await using relay = await startSeedRelay();
    console.log(
      "Relay (relay/): the seeds' Python relay (seeds/000 Listing 5.4, " +
        `${relay.versions}) and then the relay process, one after the ` +
        `other under the same load: ${PAIRS} pairs, ${FRAME_BYTES}-byte ` +
        `frames, ${WINDOW} in flight per pair, from this process on the ` +
        "same machine",
    );
    return await measure({ senders: relay.url, pids: [relay.pid] }, SEED_LOAD);
  })();
  report("seeds' relay, {from, to} frames, no acks", seed);
  {
    // Stopped before the cluster runs.
    await using relay = await startRelay({ open: true, args: LOAD_ARGS });
    const ours = await measure(
      { senders: relay.url, pids: [relay.pid] },
      RELAY_LOAD,
    );
    report(
      `relay (default limits but --rate-limit ${
        RATE_LIMIT.toLocaleString("en")
      }), chat frames, acked`,
      ours,
    );
    console.log(
      `  relay / seeds' relay: ${(ours.rate / seed.rate).toFixed(2)}x the ` +
        `msgs/s, ${(seed.cpuPerThousand / ours.cpuPerThousand).toFixed(2)}x ` +
        "the frames per CPU second (target >= 2x; on 2 shared cores the load " +
        "generator in this process bounds the msgs/s; load average " +
        `${loadBefore.toFixed(2)} before, ${
          Deno.loadavg()[0].toFixed(2)
        } after); relay targets >= 40,000 msgs/s, p99 < 25 ms`,
    );
    reportQueue(
      "relay, frames queued in memory for offline devices",
      await queueCost(
        { senders: relay.url, pids: [relay.pid] },
        { perPair: QUEUED_PER_PAIR },
      ),
    );
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
  await clusterFigures();
}
