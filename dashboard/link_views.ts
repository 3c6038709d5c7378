/**
 * What the "Quantum link (simulated)" panel says about the link: its
 * settings as rows, the latest block's outcome in words, the decoy
 * estimates, and the demo's simulated attack. Computed on the server (the
 * first render) and in the browser (live).
 *
 * The outcome sentence reads only what an analyst could measure (QBER,
 * detections, decoy estimates, secret bits), never the `eve` field: a real
 * link does not tell its operator who is on the fibre. The `eve` field
 * shows apart, as the attack the KMS's operator switched on for the demo.
 *
 * @module
 */

import type {
  BlockReport,
  EveMode,
  LinkSettingsReport,
} from "../protocol/link_report.ts";
import { RED_THRESHOLD } from "../protocol/link_policy.ts";
import {
  count,
  percent,
  scientific,
  wholePercent,
  withPrefix,
} from "./format.ts";
import type { LinkPoint, LinkState } from "./link_state.ts";
import type { SocState } from "./soc_state.ts";

/**
 * Below this share of the block's detections, the decoy estimate of
 * single-photon detections has collapsed: an honest demo link gives ~40%
 * (the contract's sample: 420,000 of 10^6), a block too small for a key
 * still tens of per cent, while a photon-number-splitting attack, which
 * forwards only multi-photon pulses, drives the bound to about 0.
 */
export const SINGLE_PHOTON_COLLAPSE = 0.05;

/** One labelled figure. */
export interface Row {
  label: string;
  value: string;
}

/**
 * The link's settings as labelled rows.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { settingsRows } from "./link_views.ts";
 * import { SAMPLE_LINK_REPORT } from "../protocol/_test_link_report.ts";
 *
 * const rows = settingsRows(SAMPLE_LINK_REPORT.settings);
 * assertEquals(rows[0], { label: "Fibre length", value: "25 km" });
 * assertEquals(rows.find((row) => row.label === "Dark counts")?.value, "6×10⁻⁷ per pulse");
 * ```
 */
export function settingsRows(settings: LinkSettingsReport): Row[] {
  const [mu, nu, omega] = settings.intensities;
  const [pMu, pNu, pOmega] = settings.intensity_probabilities;
  const lossDb = settings.distance_km * settings.attenuation_db_per_km;
  return [
    { label: "Fibre length", value: `${settings.distance_km} km` },
    {
      label: "Attenuation",
      value: `${settings.attenuation_db_per_km} dB/km (${
        Number(lossDb.toPrecision(3))
      } dB)`,
    },
    {
      label: "Detector efficiency",
      value: percent(settings.detector_efficiency),
    },
    {
      label: "Dark counts",
      value: `${scientific(settings.dark_count_probability)} per pulse`,
    },
    { label: "Misalignment", value: percent(settings.misalignment_error) },
    {
      label: "Intensities μ / ν / ω",
      value: `${scientific(mu)} / ${scientific(nu)} / ${scientific(omega)}`,
    },
    {
      label: "Chosen with probability",
      value: `${wholePercent(pMu)} / ${wholePercent(pNu)} / ${
        wholePercent(pOmega)
      }`,
    },
    {
      label: "Key basis q_X",
      value: wholePercent(settings.key_basis_probability),
    },
    { label: "Pulse rate", value: withPrefix(settings.pulse_rate_hz, "Hz") },
    {
      label: "Block size n_X",
      value: `${count(settings.block_size)} detections`,
    },
    {
      label: "ε_sec / ε_cor",
      value: `${scientific(settings.eps_sec)} / ${
        scientific(settings.eps_cor)
      }`,
    },
  ];
}

/**
 * Whether the block's decoy estimate of single-photon detections fell below
 * {@linkcode SINGLE_PHOTON_COLLAPSE} of its detections.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { singlePhotonsCollapsed } from "./link_views.ts";
 * import { SAMPLE_BLOCK } from "../protocol/_test_link_report.ts";
 *
 * assertEquals(singlePhotonsCollapsed(SAMPLE_BLOCK), false);
 * const pns = { ...SAMPLE_BLOCK, decoy: { ...SAMPLE_BLOCK.decoy!, single_photon_detections_lower: 0 } };
 * assertEquals(singlePhotonsCollapsed(pns), true);
 * ```
 */
export function singlePhotonsCollapsed(block: BlockReport): boolean {
  return block.decoy !== null && block.detections > 0 &&
    block.decoy.single_photon_detections_lower <
      SINGLE_PHOTON_COLLAPSE * block.detections;
}

function singlePhotons(block: BlockReport): string {
  return count(block.decoy?.single_photon_detections_lower ?? 0);
}

/**
 * The block's outcome in words, from what an analyst measures.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { outcomeSentence } from "./link_views.ts";
 * import { SAMPLE_BLOCK } from "../protocol/_test_link_report.ts";
 *
 * const pns = {
 *   ...SAMPLE_BLOCK,
 *   outcome: "insufficient_secret_bits" as const,
 *   secret_bits: 0,
 *   decoy: { ...SAMPLE_BLOCK.decoy!, single_photon_detections_lower: 0 },
 * };
 * assertEquals(
 *   outcomeSentence(pns),
 *   "PNS suspected: QBER 2.1% looks normal but the decoy estimate of single-photon detections fell to 0: no key.",
 * );
 * ```
 */
export function outcomeSentence(block: BlockReport): string {
  const qber = percent(block.qber);
  const normal = block.qber < RED_THRESHOLD;
  const pns = normal && singlePhotonsCollapsed(block)
    ? `PNS suspected: QBER ${qber} looks normal but the decoy estimate of single-photon detections fell to ${
      singlePhotons(block)
    }`
    : null;
  switch (block.outcome) {
    case "key":
      return `Key: ${count(block.secret_bits)} secret bits to the pool from ${
        count(block.detections)
      } detections at QBER ${qber} (finite-key bound, Lim et al. 2014).`;
    case "qber_above_threshold":
      return `Eavesdropper or fault suspected: QBER ${qber} is above the ${
        wholePercent(RED_THRESHOLD)
      } threshold: no key.`;
    case "insufficient_secret_bits":
      if (pns) return `${pns}: no key.`;
      return block.decoy === null
        ? `No key: the finite-key bound could not be evaluated on ${
          count(block.detections)
        } detections (QBER ${qber}).`
        : `No key: the finite-key bound (Lim et al. 2014) left no secret bits from ${
          count(block.detections)
        } detections at QBER ${qber}, single-photon estimate ${
          singlePhotons(block)
        }.`;
    case "verification_failed":
      return `No key: the keys still differed after error correction (verification hash mismatch) at QBER ${qber}; block discarded.`;
    case "discarded":
      return `Measured, not distilled: the pool was full or the link RED, so the block was discarded after its QBER (${qber}) and decoy estimates${
        pns ? `. ${pns}` : ""
      }.`;
  }
}

/**
 * The block's decoy estimates as rows; empty when the bound could not be
 * evaluated.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { decoyRows } from "./link_views.ts";
 * import { SAMPLE_BLOCK } from "../protocol/_test_link_report.ts";
 *
 * assertEquals(decoyRows(SAMPLE_BLOCK)[1], {
 *   label: "Single-photon detections s_X,1 ≥",
 *   value: "420,000 (42.0% of n_X)",
 * });
 * ```
 */
export function decoyRows(block: BlockReport): Row[] {
  const { decoy, detections } = block;
  if (decoy === null) return [];
  const share = detections > 0
    ? ` (${percent(decoy.single_photon_detections_lower / detections)} of n_X)`
    : "";
  return [
    {
      label: "Vacuum detections s_X,0 ≥",
      value: count(decoy.vacuum_detections_lower),
    },
    {
      label: "Single-photon detections s_X,1 ≥",
      value: `${count(decoy.single_photon_detections_lower)}${share}`,
    },
    {
      label: "Phase error rate φ_X ≤",
      value: percent(decoy.phase_error_upper),
    },
  ];
}

const ATTACKS: Record<Exclude<EveMode, "none">, string> = {
  intercept_resend: "intercept-resend",
  pns: "photon-number splitting (PNS)",
};

/**
 * The demo's simulated attack, when the KMS's operator switched one on;
 * `null` when Eve is off.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { simulatedAttack } from "./link_views.ts";
 *
 * assertEquals(simulatedAttack("none"), null);
 * assertEquals(
 *   simulatedAttack("pns"),
 *   "Demo: the KMS's operator switched on the simulated eavesdropper's photon-number splitting (PNS) attack.",
 * );
 * ```
 */
export function simulatedAttack(eve: EveMode): string | null {
  return eve === "none"
    ? null
    : `Demo: the KMS's operator switched on the simulated eavesdropper's ${
      ATTACKS[eve]
    } attack.`;
}

/** What the link panel shows: the link without its series. */
export interface LinkPanelView {
  live: boolean;
  link: Omit<LinkState, "series"> | null;
}

/**
 * The link panel's part of the state.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { INITIAL_SOC_STATE } from "./soc_state.ts";
 * import { linkPanelView } from "./link_views.ts";
 *
 * assertEquals(linkPanelView(INITIAL_SOC_STATE), { live: false, link: null });
 * ```
 */
export function linkPanelView(state: SocState): LinkPanelView {
  if (!state.link) return { live: state.kms === "live", link: null };
  const { series: _, ...link } = state.link;
  return { live: state.kms === "live", link };
}

/** What the key-rate and pool chart shows. */
export interface LinkSeriesView {
  series: LinkPoint[];
  /** The pool's capacity, bits; 0 before the KMS was reached. */
  capacityBits: number;
}

/**
 * The key-rate and pool chart's part of the state.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { INITIAL_SOC_STATE } from "./soc_state.ts";
 * import { linkSeriesView } from "./link_views.ts";
 *
 * assertEquals(linkSeriesView(INITIAL_SOC_STATE), { series: [], capacityBits: 0 });
 * ```
 */
export function linkSeriesView(state: SocState): LinkSeriesView {
  return {
    series: state.link?.series ?? [],
    capacityBits: state.link?.poolCapacityBits ?? 0,
  };
}

/** A point of a chart.js line: x the time in ms, for a time axis. */
export interface ChartPoint {
  x: number;
  y: number;
}

/**
 * The key-rate and pool chart's two lines: key rate in bits/s and pool
 * level in % of capacity, against the time in ms.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { chartSeries } from "./link_views.ts";
 *
 * const time = "2026-12-01T00:00:00Z";
 * assertEquals(
 *   chartSeries({ series: [{ time, keyRateBps: 1e6, poolBits: 256 }], capacityBits: 1024 }),
 *   { rate: [{ x: Date.parse(time), y: 1e6 }], pool: [{ x: Date.parse(time), y: 25 }] },
 * );
 * ```
 */
export function chartSeries(
  view: LinkSeriesView,
): { rate: ChartPoint[]; pool: ChartPoint[] } {
  const capacity = Math.max(1, view.capacityBits);
  const at = (point: LinkPoint) => Date.parse(point.time);
  return {
    rate: view.series.map((point) => ({ x: at(point), y: point.keyRateBps })),
    pool: view.series.map((point) => ({
      x: at(point),
      y: (point.poolBits / capacity) * 100,
    })),
  };
}

/** The running link's operating point on the key-rate-vs-distance chart. */
export interface OperatingPoint {
  distanceKm: number;
  /** Measured finite-key rate, bits per second. */
  keyRateBps: number;
  settings: LinkSettingsReport;
}

/**
 * The operating point; `null` before the KMS was reached.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { INITIAL_SOC_STATE } from "./soc_state.ts";
 * import { operatingPoint } from "./link_views.ts";
 *
 * assertEquals(operatingPoint(INITIAL_SOC_STATE), null);
 * ```
 */
export function operatingPoint(state: SocState): OperatingPoint | null {
  const link = state.link;
  return link && {
    distanceKm: link.settings.distance_km,
    keyRateBps: link.keyRateBps,
    settings: link.settings,
  };
}
