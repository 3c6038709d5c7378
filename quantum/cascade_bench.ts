/**
 * `deno task bench`: the batched Cascade exchange. Per QBER 1%, 2%, 5% and
 * 8% on 10,000-bit blocks: efficiency f = leak / (n h(e)), messages per
 * block (mean and p99), round trips, the exchange's latency at 1 ms (LAN)
 * and 10 ms (WAN) round-trip time, and ms per run; beside them, from the
 * same runs, what the same parities would cost as a request/answer exchange
 * (two messages per bisection level) and unbatched (one round trip per
 * parity, as a sequential Cascade asks them). Then ms per run at 10^6 bits.
 *
 * @module
 */

import { binaryEntropy } from "./entropy.ts";
import { bernoulliMask, cryptoWords, Xoshiro128 } from "./random.ts";
import { cascade, type CascadeResult } from "./cascade.ts";
import { popcount } from "./bits.ts";
import { percentiles } from "./bb84_bench.ts";

interface Row {
  f: number;
  messages: number[];
  rounds: number;
  requestAnswer: number;
  unbatched: number;
  ms: number[];
}

/**
 * Messages of the same run with one round trip per parity: each pass's
 * block parities, then a request and an answer per bisection parity.
 */
function unbatchedMessages(result: CascadeResult, n: number): number {
  const blockParities = result.blockSizes.reduce(
    (sum, size, pass) => sum + Math.ceil(n / size) - (pass > 0 ? 1 : 0),
    0,
  );
  return result.blockSizes.length +
    2 * (result.leakedBits - blockParities);
}

function measure(n: number, q: number, runs: number): Row {
  const rng = new Xoshiro128();
  const row: Row = {
    f: 0,
    messages: [],
    rounds: 0,
    requestAnswer: 0,
    unbatched: 0,
    ms: [],
  };
  for (let i = 0; i < runs; i++) {
    const words = cryptoWords((n + 31) >>> 5);
    if (n & 31) words[words.length - 1] &= (1 << (n & 31)) - 1;
    const errors = bernoulliMask(n, q, rng);
    const bob = { words: words.map((w, j) => w ^ errors[j]), length: n };
    const start = performance.now();
    const result = cascade({ words, length: n }, bob, { qber: q }, rng);
    row.ms.push(performance.now() - start);
    row.f += result.leakedBits / (n * binaryEntropy(popcount(errors) / n)) /
      runs;
    row.messages.push(result.messages);
    row.rounds += result.rounds / runs;
    // Levels are messages - 2; a request and an answer each, plus the parities.
    row.requestAnswer += (2 * (result.messages - 2) + 1) / runs;
    row.unbatched += unbatchedMessages(result, n) / runs;
  }
  return row;
}

if (import.meta.main) {
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(
    "Cascade, batched exchange (quantum/cascade.ts), 10,000-bit blocks",
  );
  for (const q of [0.01, 0.02, 0.05, 0.08]) {
    const row = measure(10000, q, 1000);
    const messages = percentiles(row.messages);
    const ms = percentiles(row.ms.slice(100));
    console.log(
      `  QBER ${(100 * q).toFixed(0)}%: f = ${row.f.toFixed(3)}, ${
        mean(row.messages).toFixed(0)
      } messages (p99 ${messages.p99}), ${row.rounds.toFixed(0)} round trips: ${
        row.rounds.toFixed(0)
      } ms at 1 ms RTT, ${(10 * row.rounds).toFixed(0)} ms at 10 ms; ${
        ms.p50.toFixed(2)
      } ms/run (p99 ${ms.p99.toFixed(2)})`,
    );
    console.log(
      `    same parities as request/answer per level: ${
        row.requestAnswer.toFixed(0)
      } messages; one round trip per parity: ${
        row.unbatched.toFixed(0)
      } messages (${(row.unbatched / mean(row.messages)).toFixed(1)}x)`,
    );
  }
  const big = measure(1_000_000, 0.02, 12);
  console.log(
    `  10^6 bits at QBER 2%: f = ${big.f.toFixed(3)}, ${
      mean(big.messages).toFixed(0)
    } messages, ${percentiles(big.ms.slice(4)).p50.toFixed(0)} ms/run`,
  );
}
