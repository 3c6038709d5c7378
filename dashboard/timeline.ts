/**
 * What the QBER timeline draws, computed from the KMS's persisted block
 * history (`GET /link_history`, through this server) and the live blocks
 * since it was fetched: points on a real time axis, the shaded spans of
 * incidents and the marks of resets (epochs). Pure and browser-safe.
 *
 * @module
 */

import type { Incident } from "../protocol/incident.ts";
import type { LinkEpoch, LinkHistoryBlock } from "../protocol/soc_api.ts";
import type { QberPoint } from "./soc_state.ts";

/** The windows an analyst can pick, by label, in milliseconds. */
export const TIMELINE_WINDOWS = {
  "5 min": 5 * 60_000,
  "1 h": 60 * 60_000,
  "24 h": 24 * 60 * 60_000,
} as const;

/** A window's label. */
export type TimelineWindow = keyof typeof TIMELINE_WINDOWS;

/** Points the timeline asks for per window (the KMS keeps each bucket's peak). */
export const TIMELINE_POINTS = 600;

/** One point on the timeline: Unix ms and QBER in percent. */
export interface TimelinePoint {
  x: number;
  y: number;
}

/** A shaded span: an incident from its start to its end (or now). */
export interface IncidentSpan {
  id: number;
  from: number;
  to: number;
  /** Whether it is still open. */
  open: boolean;
}

/** A reset: where an epoch started, and who reset. */
export interface EpochMark {
  at: number;
  epoch: number;
  label: string;
}

/** Everything the chart draws, within `[from, to]`. */
export interface Timeline {
  from: number;
  to: number;
  points: TimelinePoint[];
  spans: IncidentSpan[];
  epochs: EpochMark[];
}

/** What the timeline is drawn from. */
export interface TimelineSources {
  /** The history's blocks, oldest first. */
  blocks: readonly LinkHistoryBlock[];
  /** The history's epochs. */
  epochs: readonly LinkEpoch[];
  /** The live blocks (the state's history), oldest first. */
  live: readonly QberPoint[];
  /** The KMS's incidents. */
  incidents: readonly Incident[];
}

/**
 * The timeline of the last `windowMs` before `now`: the history's points,
 * then the live points newer than its last one; incident spans and reset
 * marks that fall in the window.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { timeline } from "./timeline.ts";
 *
 * const block = {
 *   at: 1_000_000, qber: 0.25, rolling_qber: 0.2, status: "RED" as const, epoch: 1,
 *   eve: "intercept_resend" as const, gains: null, single_photon_lower: null,
 *   secret_bits: 0, count: 1,
 * };
 * const incident = {
 *   id: 1, opened_at: 999_000, closed_at: 1_030_000, peak_qber: 0.25, first_qber: 0.25,
 *   blocks: 1, key_refusals: 3, affected_devices: [], closed_by: "Operator",
 *   acknowledged_by: null, acknowledged_at: null, epoch: 1,
 * };
 * const view = timeline({
 *   blocks: [block],
 *   epochs: [{ epoch: 1, started_at: 0, reset_by: null }, { epoch: 2, started_at: 1_030_000, reset_by: "Operator" }],
 *   live: [{ qber: 0.02, time: new Date(1_040_000).toISOString() }, { qber: 0.3, time: null }],
 *   incidents: [incident],
 * }, { windowMs: 300_000, now: 1_050_000 });
 * assertEquals(view.points, [{ x: 1_000_000, y: 25 }, { x: 1_040_000, y: 2 }]);
 * assertEquals(view.spans, [{ id: 1, from: 999_000, to: 1_030_000, open: false }]);
 * assertEquals(view.epochs, [{ at: 1_030_000, epoch: 2, label: "reset by Operator" }]);
 * ```
 */
export function timeline(
  sources: TimelineSources,
  options: { windowMs: number; now: number },
): Timeline {
  const to = options.now;
  const from = to - options.windowMs;
  const inWindow = (x: number) => x >= from && x <= to;
  const points: TimelinePoint[] = sources.blocks
    .filter((block) => inWindow(block.at))
    .map((block) => ({ x: block.at, y: block.qber * 100 }));
  const lastAt = points.at(-1)?.x ?? -Infinity;
  for (const point of sources.live) {
    const x = point.time === null ? NaN : Date.parse(point.time);
    if (x > lastAt && inWindow(x)) points.push({ x, y: point.qber * 100 });
  }
  const spans = sources.incidents
    .map((incident) => ({
      id: incident.id,
      from: Math.max(from, incident.opened_at),
      to: Math.min(to, incident.closed_at ?? to),
      open: incident.closed_at === null,
    }))
    .filter((span) => span.from < span.to)
    .sort((a, b) => a.from - b.from);
  const epochs = sources.epochs
    // The first epoch starts with the KMS's history, not with a reset.
    .filter((epoch) => epoch.reset_by !== null && inWindow(epoch.started_at))
    .map((epoch) => ({
      at: epoch.started_at,
      epoch: epoch.epoch,
      label: `reset by ${epoch.reset_by}`,
    }));
  return { from, to, points, spans, epochs };
}

/**
 * The timeline in words, for its caption and its text alternative.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { timelineSummary } from "./timeline.ts";
 *
 * const view = { from: 0, to: 1, points: [{ x: 0, y: 2 }, { x: 1, y: 25 }], spans: [{ id: 1, from: 0, to: 1, open: true }], epochs: [] };
 * assertEquals(
 *   timelineSummary(view, "5 min"),
 *   "last 5 min: 2 points · peak 25.0% · latest 25.0% · 1 incident (open) · 0 resets",
 * );
 * assertEquals(timelineSummary({ ...view, points: [], spans: [] }, "1 h"), "last 1 h: no blocks");
 * ```
 */
export function timelineSummary(
  view: Timeline,
  window: TimelineWindow,
): string {
  if (view.points.length === 0) return `last ${window}: no blocks`;
  const peak = Math.max(...view.points.map((point) => point.y));
  const latest = view.points.at(-1)!.y;
  const open = view.spans.some((span) => span.open) ? " (open)" : "";
  const incidents = `${view.spans.length} incident${
    view.spans.length === 1 ? "" : "s"
  }${open}`;
  return `last ${window}: ${view.points.length} points · peak ${
    peak.toFixed(1)
  }% · latest ${
    latest.toFixed(1)
  }% · ${incidents} · ${view.epochs.length} reset${
    view.epochs.length === 1 ? "" : "s"
  }`;
}
