/**
 * `deno task bench` part: privacy amplification's throughput, in input bits
 * per second hashing to half the input (and, for the demo link's blocks, 10^6
 * bits to 3.2·10^5), by the direct product at 10^4 and 10^5 bits and by the
 * FFT at 10^5 to 10^7 bits.
 *
 * @module
 */

import { cryptoWords } from "./random.ts";
import {
  toeplitzHashDirect,
  toeplitzHashFft,
  toeplitzSeedBits,
} from "./privacy_amplification.ts";
import { percentiles } from "./bb84_bench.ts";

/** Median input bits per second of `hash` over `runs` runs after one warm-up. */
function amplificationRate(
  hash: typeof toeplitzHashFft,
  inputBits: number,
  runs: number,
  outputBits = inputBits / 2,
): number {
  const input = { words: cryptoWords(inputBits >>> 5), length: inputBits };
  const seed = cryptoWords(
    Math.ceil(toeplitzSeedBits(inputBits, outputBits) / 32),
  );
  const rates: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const start = performance.now();
    hash(input, outputBits, seed);
    if (i > 0) rates.push(inputBits / ((performance.now() - start) / 1000));
  }
  return percentiles(rates).p50;
}

if (import.meta.main) {
  const mbps = (x: number) => `${(x / 1e6).toFixed(2)} Mb/s input`;
  console.log("Privacy amplification (quantum/privacy_amplification.ts)");
  console.log(
    `  direct, 10^4 bits:           ${
      mbps(amplificationRate(toeplitzHashDirect, 1e4, 20))
    }`,
  );
  const direct = amplificationRate(toeplitzHashDirect, 1e5, 3);
  console.log(`  direct, 10^5 bits:           ${mbps(direct)}`);
  const fft = amplificationRate(toeplitzHashFft, 1e5, 20);
  console.log(
    `  FFT, 10^5 bits:              ${mbps(fft)} (${
      (fft / direct).toFixed(0)
    }× direct)`,
  );
  console.log(
    `  FFT, 10^6 bits:              ${
      mbps(amplificationRate(toeplitzHashFft, 1e6, 7))
    } (target >= 50)`,
  );
  console.log(
    `  FFT, 10^6 bits to 3.2·10^5:  ${
      mbps(amplificationRate(toeplitzHashFft, 1e6, 7, 320_000))
    }`,
  );
  console.log(
    `  FFT, 10^7 bits:              ${
      mbps(amplificationRate(toeplitzHashFft, 1e7, 2))
    }`,
  );
  console.log(
    "  issue 14's figures before this FFT: 4.33 Mb/s at 10^6, 3.41 at 10^7; direct 0.79 at 10^5",
  );
}
