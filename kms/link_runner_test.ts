import { assert, assertEquals, assertMatch } from "@std/assert";
import { DEMO_LINK_SETTINGS } from "../quantum/qkd_link.ts";
import type { LinkConfig } from "./link_config.ts";
import { type BlockArrival, LinkRunner } from "./link_runner.ts";

const LINK: LinkConfig = {
  // Blocks of 10^4 detections: fast, and too small for a key.
  settings: { ...DEMO_LINK_SETTINGS, blockSize: 10_000 },
  epsSec: 1e-10,
  epsCor: 1e-15,
  poolCapacityBits: 1 << 20,
};

/** Collects arrivals; `next(n)` resolves with the next `n`. */
function collector() {
  const arrivals: BlockArrival[] = [];
  let wanted: { count: number; resolve: () => void } | undefined;
  return {
    arrivals,
    onBlock(arrival: BlockArrival): Promise<void> {
      arrivals.push(arrival);
      if (wanted && arrivals.length >= wanted.count) wanted.resolve();
      return Promise.resolve();
    },
    next(n: number): Promise<BlockArrival[]> {
      const start = arrivals.length;
      return new Promise((resolve) => {
        wanted = {
          count: start + n,
          resolve: () => resolve(arrivals.slice(start, start + n)),
        };
      });
    },
  };
}

Deno.test("the worker runs blocks by itself and follows the eavesdropper and post-processing switches", async () => {
  const blocks = collector();
  const runner = new LinkRunner(LINK);
  runner.start({
    onBlock: (a) => blocks.onBlock(a),
    onFailure: (message) => {
      throw new Error(`worker failed: ${message}`);
    },
  }, { eve: { mode: "none" }, postProcess: true });
  try {
    const [honest] = await blocks.next(1);
    assertEquals(honest.eve, { mode: "none" });
    assert(honest.block.qber < 0.05, `QBER ${honest.block.qber}`);
    assertEquals(honest.block.detections, 10_000);
    // Paced to link time: a block reports no sooner than its link time.
    assert(honest.wallSeconds >= honest.block.durationSeconds * 0.99);
    runner.setEve({ mode: "intercept_resend", rate: 1 });
    runner.setPostProcess(false);
    // Blocks under way or posted before the switch arrived still come as
    // they began; then every block has Eve.
    let [next] = await blocks.next(1);
    for (let i = 0; i < 20 && next.eve.mode === "none"; i++) {
      [next] = await blocks.next(1);
    }
    const [after] = await blocks.next(1);
    for (const { eve, block } of [next, after]) {
      assertEquals(eve, { mode: "intercept_resend", rate: 1 });
      assertEquals(!block.ok && block.reason, "qber_above_threshold");
    }
  } finally {
    runner.stop();
  }
  const count = blocks.arrivals.length;
  await new Promise((resolve) => setTimeout(resolve, 100));
  assertEquals(blocks.arrivals.length, count, "stopped: no block after it");
});

Deno.test("a worker's uncaught error is reported (no key material) and the worker restarts after a growing delay", async () => {
  const failures: { message: string; retryMs: number }[] = [];
  const third = Promise.withResolvers<void>();
  const runner = new LinkRunner(LINK, {
    workerUrl: new URL("./_test_crashing_worker.ts", import.meta.url),
    restartMs: 10,
    maxRestartMs: 20,
  });
  runner.start({
    onBlock: () => Promise.resolve(),
    onFailure: (message, retryMs) => {
      failures.push({ message, retryMs });
      if (failures.length === 3) third.resolve();
    },
  }, { eve: { mode: "none" }, postProcess: true });
  await third.promise;
  runner.stop();
  assertMatch(failures[0].message, /RangeError: the scripted block failed/);
  assertEquals(failures.map((f) => f.retryMs), [10, 20, 20]);
});
