/**
 * `deno task bench`, the continuous link: the whole pipeline of one block
 * ({@linkcode runLinkBlock}: event-level channel, decoy estimation and
 * finite-key length, Cascade, verification, privacy amplification) on the
 * demo's 25 km link with 10^6-detection blocks, at misalignment 1%, 2% and 5%
 * (the QBER follows), as simulated pulses per second and secret key bits per
 * second of wall-clock time on this machine. The baseline, run in the same
 * bench, is what the KMS did before: one 256-bit BB84 run per key
 * ({@linkcode simulateBB84}), whose blocks of a few thousand qubits took the
 * asymptotic bound, which no security proof allows at that size: it made
 * more bits per second, none of them with a finite-key guarantee.
 *
 * @module
 */

import { simulateBB84 } from "./bb84.ts";
import { DEMO_LINK_SETTINGS, runLinkBlock } from "./qkd_link.ts";
import { percentiles } from "./bb84_bench.ts";

const BLOCKS = 6;

function baselineBitsPerSecond(): number {
  const times: number[] = [];
  for (let i = 0; i < 300; i++) {
    const start = performance.now();
    const run = simulateBB84({ noiseLevel: 0.02 });
    if (!run.ok) throw new Error(`baseline run aborted: ${run.message}`);
    if (i >= 50) times.push(performance.now() - start);
  }
  return 256 / (percentiles(times).p50 / 1000);
}

console.log(
  "Continuous link, whole pipeline per block (simulated channel, real post-processing):",
);
console.log(
  "  demo link 25 km, n_X = 10^6 per block, eps_sec 1e-10, eps_cor 1e-15; median of " +
    `${BLOCKS - 1} blocks after one warm-up`,
);
const baseline = baselineBitsPerSecond();
console.log(
  `  baseline, one 256-bit BB84 run per key (asymptotic bound): ${
    (baseline / 1e6).toFixed(3)
  } Mb/s`,
);
for (const misalignmentError of [0.01, 0.02, 0.05]) {
  const settings = { ...DEMO_LINK_SETTINGS, misalignmentError };
  const times: number[] = [];
  let secret = 0, pulses = 0, qber = 0;
  for (let i = 0; i < BLOCKS; i++) {
    const start = performance.now();
    const block = runLinkBlock(settings);
    const ms = performance.now() - start;
    if (!block.ok) throw new Error(`bench block aborted: ${block.message}`);
    if (i === 0) continue;
    times.push(ms);
    secret += block.secretBits;
    pulses += block.pulses;
    qber += block.qber;
  }
  const blocks = BLOCKS - 1;
  const ms = percentiles(times).p50;
  const bitsPerSecond = secret / blocks / (ms / 1000);
  console.log(
    `  QBER ${(qber / blocks * 100).toFixed(2)}%: ${ms.toFixed(0)} ms/block, ` +
      `${(pulses / blocks / (ms / 1000) / 1e6).toFixed(0)} M pulses/s, ` +
      `${Math.round(secret / blocks)} secret bits/block, ` +
      `${(bitsPerSecond / 1e6).toFixed(2)} Mb/s secret (target 20 at 2%), ` +
      `${(bitsPerSecond / baseline).toFixed(2)}x the baseline`,
  );
}
