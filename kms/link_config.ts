/**
 * The simulated QKD link's flags: the fibre, the detector, the decoy
 * intensities, the pulse rate, the block size, the finite-key ε's and the key
 * pool's capacity. Defaults are the demo's link (`DEMO_LINK_SETTINGS` of
 * `quantum/qkd_link.ts`: 25 km, η_Bob 0.1, p_dc 6e-7, e_mis 0.02, blocks of
 * 10^6 key-basis detections at 1 GHz).
 *
 * @module
 */

import { ConfigError } from "../common/cli.ts";
import type { LinkSettingsReport } from "../protocol/mod.ts";
import { DEFAULT_EPS_COR, DEFAULT_EPS_SEC } from "../quantum/finite_key.ts";
import {
  DEMO_LINK_SETTINGS,
  type QkdLinkSettings,
  validateLinkSettings,
} from "../quantum/qkd_link.ts";

/** The link the KMS runs and the pool it fills. */
export interface LinkConfig {
  /** Channel, detector, decoy and block settings. */
  settings: QkdLinkSettings;
  /** Finite-key secrecy ε_sec (Lim et al. 2014). */
  epsSec: number;
  /** Finite-key correctness ε_cor. */
  epsCor: number;
  /** Most secret bits the key pool holds. */
  poolCapacityBits: number;
}

/** Default {@linkcode LinkConfig.poolCapacityBits}: 2^24 bits (2 MiB). */
export const DEFAULT_POOL_CAPACITY_BITS = 16_777_216;

/** The string flags {@linkcode parseLinkConfig} reads. */
export const LINK_FLAGS = [
  "distance-km",
  "detector-efficiency",
  "dark-count",
  "misalignment",
  "noise",
  "intensities",
  "intensity-probabilities",
  "key-basis-probability",
  "pulse-rate",
  "block-size",
  "eps-sec",
  "eps-cor",
  "pool-capacity-bits",
] as const;

/** The flags' lines of the KMS's `--help`. */
export const LINK_USAGE = `Simulated link (defaults: the demo's link):
  --distance-km KM            fibre length (default ${DEMO_LINK_SETTINGS.distanceKm})
  --detector-efficiency ETA   Bob's detection efficiency, 0..1 (default ${DEMO_LINK_SETTINGS.detectorEfficiency})
  --dark-count P              dark-count probability per pulse (default ${DEMO_LINK_SETTINGS.darkCountProbability})
  --misalignment E            optical error, ~ the normal QBER, 0..0.5 (default
                              ${DEMO_LINK_SETTINGS.misalignmentError}); --noise P (env KMS_NOISE) is its old name
  --intensities S,D,V         signal, weak decoy, vacuum mean photon numbers
                              (default ${
  DEMO_LINK_SETTINGS.intensities.join(",")
})
  --intensity-probabilities A,B,C  how often each is sent (default ${
  DEMO_LINK_SETTINGS.intensityProbabilities.join(",")
})
  --key-basis-probability Q   probability of the key basis X (default ${DEMO_LINK_SETTINGS.keyBasisProbability})
  --pulse-rate HZ             pulses per second of link time (default ${DEMO_LINK_SETTINGS.pulseRate})
  --block-size N              key-basis detections per block (default ${DEMO_LINK_SETTINGS.blockSize})
  --eps-sec E, --eps-cor E    finite-key ε's (default ${DEFAULT_EPS_SEC}, ${DEFAULT_EPS_COR})
  --pool-capacity-bits N      most secret bits pooled (default ${DEFAULT_POOL_CAPACITY_BITS})`;

const NUMBER = /^(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

interface NumberRule {
  name: string;
  /** Smallest allowed value. */
  min: number;
  /** Largest allowed value. */
  max?: number;
  /** Whether `min` itself is refused. */
  aboveMin?: boolean;
  /** Whole numbers only. */
  whole?: boolean;
}

function describeRange(rule: NumberRule): string {
  const kind = rule.whole ? "a whole number" : "a number";
  const low = `${rule.aboveMin ? "above" : "at least"} ${rule.min}`;
  return rule.max === undefined
    ? `${kind} ${low}`
    : `${kind} ${low} and at most ${rule.max}`;
}

/** A decimal number (exponent allowed, no sign, hex or blanks) in range. */
function strictNumber(text: string, rule: NumberRule): number {
  const value = Number(text);
  const ok = NUMBER.test(text) && Number.isFinite(value) &&
    (rule.aboveMin ? value > rule.min : value >= rule.min) &&
    (rule.max === undefined || value <= rule.max) &&
    (!rule.whole || Number.isSafeInteger(value));
  if (!ok) {
    throw new ConfigError(
      `--${rule.name} must be ${describeRange(rule)}, got "${text}"`,
    );
  }
  return value;
}

function triple(
  text: string,
  rule: NumberRule,
): [number, number, number] {
  const parts = text.split(",");
  if (parts.length !== 3) {
    throw new ConfigError(
      `--${rule.name} must be three numbers A,B,C, got "${text}"`,
    );
  }
  const [a, b, c] = parts.map((part) => strictNumber(part.trim(), rule));
  return [a, b, c];
}

/**
 * The link's settings from parsed flags (`--noise` and `KMS_NOISE` set the
 * misalignment error, as they set the seeds' channel noise), checked by
 * `validateLinkSettings`.
 *
 * @throws {ConfigError} naming the bad flag.
 *
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { parseLinkConfig } from "./link_config.ts";
 *
 * const link = parseLinkConfig({ "block-size": "100000" }, () => "0.03");
 * assertEquals(link.settings.blockSize, 100_000);
 * assertEquals(link.settings.misalignmentError, 0.03);
 * assertThrows(() => parseLinkConfig({ "pulse-rate": "0x10" }, () => undefined));
 * ```
 */
export function parseLinkConfig(
  flags: Partial<Record<(typeof LINK_FLAGS)[number], string>>,
  env: (name: string) => string | undefined,
): LinkConfig {
  const d = DEMO_LINK_SETTINGS;
  const num = (
    name: (typeof LINK_FLAGS)[number],
    fallback: number,
    rule: Omit<NumberRule, "name">,
  ) => {
    const text = flags[name];
    return text === undefined
      ? fallback
      : strictNumber(text, { name, ...rule });
  };
  const noise = flags.misalignment ?? flags.noise ?? env("KMS_NOISE");
  const misalignmentError = noise === undefined
    ? d.misalignmentError
    : strictNumber(noise, {
      name: flags.misalignment === undefined ? "noise" : "misalignment",
      min: 0,
      max: 0.5,
    });
  const settings: QkdLinkSettings = {
    ...d,
    distanceKm: num("distance-km", d.distanceKm, { min: 0, max: 1000 }),
    detectorEfficiency: num("detector-efficiency", d.detectorEfficiency, {
      min: 0,
      max: 1,
      aboveMin: true,
    }),
    darkCountProbability: num("dark-count", d.darkCountProbability, {
      min: 0,
      max: 0.5,
    }),
    misalignmentError,
    intensities: flags.intensities === undefined
      ? d.intensities
      : triple(flags.intensities, { name: "intensities", min: 0 }),
    intensityProbabilities: flags["intensity-probabilities"] === undefined
      ? d.intensityProbabilities
      : triple(flags["intensity-probabilities"], {
        name: "intensity-probabilities",
        min: 0,
        max: 1,
      }),
    keyBasisProbability: num("key-basis-probability", d.keyBasisProbability, {
      min: 0,
      max: 1,
      aboveMin: true,
    }),
    pulseRate: num("pulse-rate", d.pulseRate, { min: 0, aboveMin: true }),
    blockSize: num("block-size", d.blockSize, { min: 1, whole: true }),
  };
  try {
    validateLinkSettings(settings);
  } catch (error) {
    if (error instanceof RangeError) {
      throw new ConfigError(`link settings: ${error.message}`);
    }
    throw error;
  }
  const poolCapacityBits = num(
    "pool-capacity-bits",
    DEFAULT_POOL_CAPACITY_BITS,
    {
      min: 4096,
      whole: true,
    },
  );
  if (poolCapacityBits % 8 !== 0) {
    throw new ConfigError(
      `--pool-capacity-bits must be a multiple of 8, got "${poolCapacityBits}"`,
    );
  }
  return {
    settings,
    epsSec: num("eps-sec", DEFAULT_EPS_SEC, { min: 0, max: 1, aboveMin: true }),
    epsCor: num("eps-cor", DEFAULT_EPS_COR, { min: 0, max: 1, aboveMin: true }),
    poolCapacityBits,
  };
}

/**
 * The settings as `/link_status` reports them (`link.settings`).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { linkSettingsReport, parseLinkConfig } from "./link_config.ts";
 *
 * const report = linkSettingsReport(parseLinkConfig({}, () => undefined));
 * assertEquals([report.simulated, report.distance_km], [true, 25]);
 * ```
 */
export function linkSettingsReport(config: LinkConfig): LinkSettingsReport {
  const s = config.settings;
  return {
    simulated: true,
    distance_km: s.distanceKm,
    attenuation_db_per_km: s.attenuationDbPerKm ?? 0.2,
    detector_efficiency: s.detectorEfficiency,
    dark_count_probability: s.darkCountProbability,
    misalignment_error: s.misalignmentError,
    intensities: [...s.intensities],
    intensity_probabilities: [...s.intensityProbabilities],
    key_basis_probability: s.keyBasisProbability,
    pulse_rate_hz: s.pulseRate,
    block_size: s.blockSize,
    eps_sec: config.epsSec,
    eps_cor: config.epsCor,
  };
}
