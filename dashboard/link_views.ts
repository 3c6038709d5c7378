/**
 * What the simulated link's panels show of the {@linkcode SocState}: the
 * settings as rows, the panel's and the charts' parts of the state.
 * Computed on the server (the first render) and in the browser (live); the
 * block in words is in `block_outcome.ts`.
 *
 * @module
 */

import type { LinkSettingsReport } from "../protocol/link_report.ts";
import {
  count,
  percent,
  scientific,
  wholePercent,
  withPrefix,
} from "./format.ts";
import type { LinkPoint, LinkState } from "./link_state.ts";
import type { SocState } from "./soc_state.ts";

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
