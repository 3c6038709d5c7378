import { assert, assertEquals, assertThrows } from "@std/assert";
import { expectedFiniteKeyLength } from "./finite_key_channel.ts";
import {
  DEMO_LINK_SETTINGS,
  type LinkBlock,
  runLinkBlock,
  validateLinkSettings,
} from "./qkd_link.ts";
import { Xoshiro128 } from "./random.ts";
import { DEMO_LINK } from "./_test_finite_key.ts";

const BLOCK = { ...DEMO_LINK_SETTINGS, blockSize: 200_000 };

function reason(block: LinkBlock): string {
  return block.ok ? "key" : block.reason;
}

/** The block's key, or a failure that says why there was none. */
function secretOf(block: LinkBlock): Uint8Array {
  if (!block.ok) throw new Error(`no key: ${block.message}`);
  return block.secret;
}

function decoyOf(block: LinkBlock) {
  if (block.decoy === null) throw new Error("no decoy estimates");
  return block.decoy;
}

Deno.test("a block on the demo link gives the finite-key length the model expects, at about 2% QBER", () => {
  const block = runLinkBlock(BLOCK);
  const secret = secretOf(block);
  assert(block.qber > 0.017 && block.qber < 0.023, `QBER ${block.qber}`);
  assertEquals(secret.length * 8, block.secretBits);
  assertEquals(block.secretBits % 8, 0);
  const expected = expectedFiniteKeyLength({
    ...DEMO_LINK,
    blockSize: 200_000,
  });
  if (!expected.ok) throw new Error(expected.message);
  // Cascade's leak and the counts' fluctuations move it by a few percent.
  const ratio = block.secretBits / expected.secretBits;
  assert(
    ratio > 0.85 && ratio < 1.15,
    `secret ${block.secretBits} vs ${expected.secretBits}`,
  );
  assertEquals(block.durationSeconds, block.pulses / BLOCK.pulseRate);
  assert(block.leakedBits > 0 && block.decoy !== null);
});

Deno.test("every block's key is fresh", () => {
  const a = secretOf(runLinkBlock(BLOCK)), b = secretOf(runLinkBlock(BLOCK));
  assert(!a.subarray(0, 32).every((x, i) => x === b[i]));
});

Deno.test("a block too small for the finite-key bound aborts and says why", () => {
  const block = runLinkBlock({ ...DEMO_LINK_SETTINGS, blockSize: 10_000 });
  assertEquals(reason(block), "insufficient_secret_bits");
  assert(
    !block.ok && /s_X,1|φ_X|ℓ|length|single/.test(block.message),
    !block.ok ? block.message : "",
  );
  assertEquals(block.secretBits, 0);
});

Deno.test("intercept-resend turns the QBER past 11% and the block is discarded", () => {
  const full = runLinkBlock(BLOCK, { eve: { mode: "intercept_resend" } });
  assertEquals(reason(full), "qber_above_threshold");
  assert(full.qber > 0.24 && full.qber < 0.28);
  assertEquals(full.leakedBits, 0); // nothing reconciled
  const light = runLinkBlock(BLOCK, {
    eve: { mode: "intercept_resend", rate: 0.1 },
  });
  assert(light.qber > 0.035 && light.qber < 0.055, `QBER ${light.qber}`);
});

Deno.test("photon-number splitting leaves the QBER normal but the decoy estimates collapse the key", () => {
  const settings = { ...DEMO_LINK_SETTINGS, blockSize: 1_000_000 };
  const honest = runLinkBlock(settings);
  const split = runLinkBlock(settings, { eve: { mode: "pns" } });
  secretOf(honest);
  assert(
    Math.abs(split.qber - honest.qber) < 0.002,
    "QBER alone does not show PNS",
  );
  assert(
    decoyOf(split).singlePhotonDetectionsLower <
      0.7 * decoyOf(honest).singlePhotonDetectionsLower,
  );
  assert(
    split.secretBits < honest.secretBits / 4,
    `${split.secretBits} vs ${honest.secretBits}`,
  );
  // Farther away Eve can block every single photon: no key at all.
  const far = { ...settings, distanceKm: 45, blockSize: 200_000 };
  assert(runLinkBlock(far).ok, "the honest link still gives key at 45 km");
  assertEquals(
    reason(runLinkBlock(far, { eve: { mode: "pns" } })),
    "insufficient_secret_bits",
  );
});

Deno.test("postProcess false measures the block and discards its key before error correction", () => {
  const block = runLinkBlock(BLOCK, { postProcess: false });
  assertEquals(reason(block), "discarded");
  assert(block.qber > 0.015 && block.qber < 0.025);
  assert(block.decoy !== null && block.decoy.singlePhotonDetectionsLower > 0);
  assertEquals([block.leakedBits, block.secretBits], [0, 0]);
});

Deno.test("smaller ε_sec costs secret bits", () => {
  // The same physics for both (Alice's bits still come from the CSPRNG).
  const seed = Uint32Array.of(1, 2, 3, 4);
  const loose = runLinkBlock(BLOCK, {
    epsSec: 1e-6,
    rng: new Xoshiro128(seed),
  });
  const tight = runLinkBlock(BLOCK, {
    epsSec: 1e-14,
    rng: new Xoshiro128(seed),
  });
  secretOf(loose);
  secretOf(tight);
  // The difference is 6·log2(10^8) ≈ 159 bits plus the fluctuations' share.
  assert(
    loose.secretBits > tight.secretBits,
    `${loose.secretBits} vs ${tight.secretBits}`,
  );
});

Deno.test("bad settings throw a RangeError that names them", () => {
  for (
    const [field, value] of [
      ["distanceKm", -1],
      ["detectorEfficiency", 0],
      ["darkCountProbability", 0.5],
      ["misalignmentError", 0.6],
      ["keyBasisProbability", 1],
      ["blockSize", 999],
      ["pulseRate", 0],
    ] as const
  ) {
    assertThrows(
      () => validateLinkSettings({ ...DEMO_LINK_SETTINGS, [field]: value }),
      RangeError,
      field,
    );
  }
  assertThrows(
    () =>
      validateLinkSettings({
        ...DEMO_LINK_SETTINGS,
        intensities: [0.2, 0.5, 0],
      }),
    RangeError,
    "intensities",
  );
  assertThrows(
    () =>
      validateLinkSettings({
        ...DEMO_LINK_SETTINGS,
        intensityProbabilities: [0.5, 0.5, 0.5],
      }),
    RangeError,
    "intensityProbabilities",
  );
});
