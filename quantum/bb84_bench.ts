/**
 * `deno task bench` part 1: the single-photon BB84 engine's speed.
 *
 * Prints simulated qubits per second for the quantum phase with sifting and
 * QBER estimation (with and without Eve), the time for one full 256-bit key
 * at QBER 2% including reconciliation and privacy amplification; then the decoy-state
 * pulse link's simulated pulses per second, and the cut-off distances of
 * `decoyKeyRate` on Ma et al. 2005's GYS parameters; then, as figures of the
 * bound rather than timings, the finite-key secret length (Lim et al. 2014) of
 * blocks of 10^4 to 10^8 signals on the demo's ~2% QBER link. Cascade's
 * efficiency and messages are cascade_bench.ts's, privacy amplification's
 * throughput pa_bench.ts's.
 *
 * @module
 */

import { Xoshiro128 } from "./random.ts";
import { transmitQubits } from "./channel.ts";
import { simulateBB84 } from "./bb84.ts";
import { estimateQber, siftKeys } from "./sifting.ts";
import { decoyCutoffKm } from "./decoy.ts";
import { simulatePulses } from "./pulse_channel.ts";
import { expectedFiniteKeyLength } from "./finite_key_channel.ts";
import { DEMO_LINK } from "./_test_finite_key.ts";

/** Median and 99th percentile of a list of numbers. */
export function percentiles(values: number[]): { p50: number; p99: number } {
  const sorted = values.toSorted((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p99: at(0.99) };
}

function stageRate(evePresent: boolean): number {
  const numBits = 1 << 24;
  const rng = new Xoshiro128();
  const rates: number[] = [];
  for (let i = 0; i < 12; i++) {
    const start = performance.now();
    estimateQber(
      siftKeys(transmitQubits({ numBits, evePresent, noiseLevel: 0.02 }, rng)),
      {},
      rng,
    );
    rates.push(numBits / ((performance.now() - start) / 1000));
  }
  // The first runs warm up the JIT; report the median of the rest.
  return percentiles(rates.slice(4)).p50;
}

function keyTimes(): { p50: number; p99: number } {
  const times: number[] = [];
  for (let i = 0; i < 1200; i++) {
    const start = performance.now();
    const run = simulateBB84({ noiseLevel: 0.02 });
    if (!run.ok) throw new Error(`bench run aborted: ${run.message}`);
    if (i >= 200) times.push(performance.now() - start);
  }
  return percentiles(times);
}

function pulseRate(pns: boolean): number {
  const pulses = 1 << 24;
  const link = {
    distanceKm: 50,
    detectorEfficiency: 0.1,
    darkCountProbability: 1e-6,
    misalignmentError: 0.01,
  };
  const rng = new Xoshiro128();
  const rates: number[] = [];
  for (let i = 0; i < 8; i++) {
    const start = performance.now();
    simulatePulses({ pulses, link, pns }, rng);
    rates.push(pulses / ((performance.now() - start) / 1000));
  }
  return percentiles(rates.slice(3)).p50;
}

if (import.meta.main) {
  const m = (x: number) => (x / 1e6).toFixed(0);
  console.log("BB84 engine (quantum/)");
  const plain = stageRate(false);
  console.log(
    `  sifting + QBER stage, no Eve:   ${m(plain)} M qubits/s (target >= 300)`,
  );
  const eve = stageRate(true);
  console.log(
    `  sifting + QBER stage, with Eve: ${m(eve)} M qubits/s (target >= 150)`,
  );
  const key = keyTimes();
  console.log(
    `  full 256-bit key at QBER 2%:    p50 ${key.p50.toFixed(3)} ms, p99 ${
      key.p99.toFixed(3)
    } ms (target < 2 ms)`,
  );
  console.log("Decoy-state link (quantum/pulse_channel.ts, simulated)");
  console.log(
    `  50 km, signal/weak/vacuum 80/15/5%:  ${
      m(pulseRate(false))
    } M pulses/s; under PNS ${m(pulseRate(true))} M pulses/s`,
  );
  const gys = {
    attenuationDbPerKm: 0.21,
    detectorEfficiency: 0.045,
    darkCountProbability: 1.7e-6,
    misalignmentError: 0.033,
    reconciliationEfficiency: 1.22,
  };
  const km = (x: number) => x.toFixed(1);
  console.log(
    `  GYS cut-off (Ma et al. 2005): infinite decoys ${
      km(decoyCutoffKm({ ...gys, estimate: "infinite" }))
    } km, vacuum + weak (nu 0.1) ${km(decoyCutoffKm(gys))} km (paper: ~142 km)`,
  );
  console.log(
    "Finite-key secret length (figures of the bound, not timings): Lim et al.,",
  );
  console.log(
    "  PRA 89, 022307 (2014), eps_sec 1e-10, eps_cor 1e-15, on the demo link:",
  );
  const [mu1, mu2, mu3] = DEMO_LINK.intensities;
  console.log(
    `  ${DEMO_LINK.distanceKm} km, misalignment ${DEMO_LINK.misalignmentError}, ` +
      `mu ${mu1}/${mu2}/${mu3}, q_X ${DEMO_LINK.keyBasisProbability}, ` +
      `f ${DEMO_LINK.reconciliationEfficiency}`,
  );
  for (const blockSize of [1e4, 1e5, 1e6, 1e7, 1e8]) {
    const block = expectedFiniteKeyLength({ ...DEMO_LINK, blockSize });
    const size = `n_X = 10^${Math.log10(blockSize)} detections`;
    const pulses = `${block.pulses.toExponential(2)} pulses`;
    console.log(
      block.ok
        ? `  ${size} (${pulses}, QBER ${
          (100 * block.terms.qberX).toFixed(2)
        }%): ${block.secretBits} secret bits (${
          (block.secretBits / blockSize).toFixed(3)
        } per bit)`
        : `  ${size} (${pulses}): no key, ${block.message}`,
    );
  }
}
