import { assertEquals } from "@std/assert";
import {
  SAMPLE_BLOCK,
  SAMPLE_LINK_REPORT,
} from "../protocol/_test_link_report.ts";
import {
  LINK_POINTS,
  linkFromReport,
  type LinkState,
  withBlock,
  withPool,
} from "./link_state.ts";
import { honestBlock } from "./link_expectation.ts";

const CAPACITY = SAMPLE_LINK_REPORT.pool_capacity_bits;

function block(index: number, secretBits = 320_000) {
  return {
    block: {
      ...SAMPLE_BLOCK,
      index,
      time: new Date(Date.UTC(2026, 11, 1, 0, 0, index)).toISOString(),
      secret_bits: secretBits,
    },
    keyRateBps: secretBits * 3,
    poolBits: index * 1000,
    poolCapacityBits: CAPACITY,
  };
}

function fold(link: LinkState, indices: number[]): LinkState {
  return indices.reduce((state, i) => withBlock(state, block(i)), link);
}

Deno.test("blocks append points and become the last block", () => {
  const link = fold(linkFromReport(SAMPLE_LINK_REPORT, null), [8, 9]);
  assertEquals(link.blocks, 9);
  assertEquals(link.lastBlock?.index, 9);
  assertEquals(link.series.map((point) => point.poolBits), [
    SAMPLE_LINK_REPORT.pool_bits,
    8000,
    9000,
  ]);
  assertEquals(link.keyRateBps, 960_000);
  assertEquals(link.settings, SAMPLE_LINK_REPORT.settings);
  // The honest expectation comes with the snapshot, computed on the server.
  assertEquals(link.expected, null);
  const expected = honestBlock(SAMPLE_LINK_REPORT.settings);
  assertEquals(
    linkFromReport(SAMPLE_LINK_REPORT, link, { expected }).expected,
    expected,
  );
});

Deno.test("the series keeps the newest LINK_POINTS points", () => {
  const indices = Array.from({ length: LINK_POINTS + 20 }, (_, i) => i + 8);
  const link = fold(linkFromReport(SAMPLE_LINK_REPORT, null), indices);
  assertEquals(link.series.length, LINK_POINTS);
  assertEquals(link.series.at(-1)?.poolBits, indices.at(-1)! * 1000);
});

Deno.test("pool changes add a point at the current key rate and are kept", () => {
  const link = fold(linkFromReport(SAMPLE_LINK_REPORT, null), [8]);
  const taken = withPool(link, {
    change: "taken",
    bits: 4096,
    poolBits: 8000 - 4096,
    poolCapacityBits: CAPACITY,
    time: "2026-12-01T00:00:08.500Z",
  });
  assertEquals(taken.series.at(-1), {
    time: "2026-12-01T00:00:08.500Z",
    keyRateBps: link.keyRateBps,
    poolBits: 3904,
  });
  assertEquals(taken.lastPoolChange?.change, "taken");
  assertEquals([taken.blocks, taken.lastBlock], [link.blocks, link.lastBlock]);
});

Deno.test("a resubscribe continues the series; a restarted KMS starts it over", () => {
  const link = withPool(
    fold(linkFromReport(SAMPLE_LINK_REPORT, null), [8, 9]),
    {
      change: "flushed",
      bits: 9000,
      poolBits: 0,
      poolCapacityBits: CAPACITY,
      time: "2026-12-01T00:00:09.500Z",
    },
  );
  // Reconnected after block 12: its point joins ours.
  const later = linkFromReport({
    ...SAMPLE_LINK_REPORT,
    blocks: 12,
    last_block: block(12).block,
  }, link);
  assertEquals(later.series.length, link.series.length + 1);
  assertEquals(later.lastPoolChange?.change, "flushed");
  // Reconnected with nothing missed: the same series.
  const same = linkFromReport({
    ...SAMPLE_LINK_REPORT,
    blocks: 12,
    last_block: block(12).block,
  }, later);
  assertEquals(same.series, later.series);
  // A KMS that restarted counts from 1 again: our points were of another run.
  const restarted = linkFromReport({
    ...SAMPLE_LINK_REPORT,
    blocks: 1,
    last_block: block(1).block,
  }, later);
  assertEquals(restarted.series.length, 1);
  assertEquals(restarted.lastPoolChange, null);
  // Before the first block: settings, no points.
  const fresh = linkFromReport({
    ...SAMPLE_LINK_REPORT,
    blocks: 0,
    last_block: null,
  }, null);
  assertEquals([fresh.series, fresh.lastBlock], [[], null]);
});
