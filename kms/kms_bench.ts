/**
 * `deno task bench` part 2: `/get_session_key` throughput and latency against
 * a real KMS process, at 1 and 32 concurrent clients.
 *
 * Every request names a peer and asks again for its pair, so each one runs a
 * full BB84 exchange (QBER about 2%) with reconciliation, privacy
 * amplification, HKDF, the ledger and audit writes: the slowest path. The
 * load generator runs in this process, on the same two cores.
 *
 * @module
 */

import { percentiles } from "../quantum/bb84_bench.ts";
import { removeDataDir, startKms } from "./_test_kms.ts";

async function load(
  url: string,
  options: { clients: number; seconds: number },
): Promise<{ rate: number; p50: number; p99: number }> {
  const latencies: number[] = [];
  const end = performance.now() + options.seconds * 1000;
  const worker = async (i: number) => {
    const body = JSON.stringify({
      device_id: `bench-${i}`,
      peer_id: `peer-${i}`,
    });
    while (performance.now() < end) {
      const start = performance.now();
      const response = await fetch(`${url}/get_session_key`, {
        method: "POST",
        body,
      });
      const json = await response.json();
      if (!json.key_hex) throw new Error(`no key: ${JSON.stringify(json)}`);
      latencies.push(performance.now() - start);
    }
  };
  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.clients }, (_, i) => worker(i)),
  );
  const rate = latencies.length / ((performance.now() - started) / 1000);
  return { rate, ...percentiles(latencies) };
}

if (import.meta.main) {
  const kms = await startKms({ open: true });
  try {
    console.log("KMS /get_session_key (kms/), a fresh BB84 key per request");
    await load(kms.url, { clients: 8, seconds: 1 }); // warm-up
    for (const clients of [1, 32]) {
      const r = await load(kms.url, { clients, seconds: 4 });
      console.log(
        `  ${String(clients).padStart(2)} concurrent: ${
          r.rate.toFixed(0)
        } keys/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms${
          clients === 32 ? " (target >= 3000 keys/s, p99 < 20 ms)" : ""
        }`,
      );
    }
  } finally {
    await kms.stop();
    await removeDataDir(kms.dataDir);
  }
}
