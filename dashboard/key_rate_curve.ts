/**
 * The key-rate-vs-distance curve the SOC view plots beside the running link:
 * the asymptotic secret key rate of decoy-state BB84 (GLLP, Gottesman, Lo,
 * Lütkenhaus, Preskill 2004, with the decoy estimates of Lo, Ma, Chen, PRL
 * 94, 230504 (2005), in the vacuum + weak decoy form of Ma, Qi, Zhao, Lo,
 * PRA 72, 012326 (2005): `decoyKeyRate` of `quantum/decoy.ts`) per pulse,
 * times the pulse rate, at the link's settings, from 0 km to the cut-off.
 *
 * Computed on the server only: the page sends the points as the chart
 * island's props. The link's own rate is a finite-key rate (Lim, Curty,
 * Walenta, Xu, Zbinden, PRA 89, 022307 (2014)) of blocks of n_X detections,
 * so it sits below this asymptotic curve.
 *
 * @module
 */

import {
  decoyCutoffKm,
  decoyKeyRate,
  type DecoyLinkParams,
} from "../quantum/mod.ts";
import type { LinkSettingsReport } from "../protocol/link_report.ts";
import { errorMessage } from "../common/error_message.ts";

/** Distances the curve samples between 0 km and the cut-off. */
export const CURVE_POINTS = 60;

/** One point of the curve. */
export interface CurvePoint {
  /** Fibre length, km. */
  km: number;
  /** Asymptotic secret key rate, bits per second (> 0). */
  bps: number;
}

/** The curve at one link's settings. */
export interface KeyRateCurve {
  /** The settings it was computed at. */
  settings: LinkSettingsReport;
  /** The longest fibre with a positive rate at these settings, km. */
  cutoffKm: number;
  /** The model's rate at the link's own distance, bits per second. */
  atDistanceBps: number;
  /** Points from 0 km to the cut-off, all with a positive rate. */
  points: CurvePoint[];
}

/** The curve, or why the model cannot draw one at these settings. */
export type KeyRateCurveResult =
  | { ok: true; curve: KeyRateCurve }
  | { ok: false; reason: string };

/**
 * The model's parameters at the link's settings, without the distance. The
 * signal and weak decoy are the link's μ and ν; the model's third
 * intensity is a true vacuum (its gain the dark-count probability), where
 * the link's ω is near it; f is the model's default, 1.16 (Lim et al.
 * 2014).
 */
function modelParams(
  settings: LinkSettingsReport,
): Omit<DecoyLinkParams, "distanceKm"> {
  const [mu, nu] = settings.intensities;
  return {
    attenuationDbPerKm: settings.attenuation_db_per_km,
    detectorEfficiency: settings.detector_efficiency,
    darkCountProbability: settings.dark_count_probability,
    misalignmentError: settings.misalignment_error,
    mu,
    nu,
  };
}

/**
 * The asymptotic key rate (bits/s) against fibre length at `settings`.
 *
 * @example
 * ```ts
 * import { assert, assertEquals } from "@std/assert";
 * import { keyRateCurve } from "./key_rate_curve.ts";
 * import { SAMPLE_LINK_REPORT } from "../protocol/_test_link_report.ts";
 *
 * const result = keyRateCurve(SAMPLE_LINK_REPORT.settings);
 * if (!result.ok) throw new Error(result.reason);
 * const { points, cutoffKm, atDistanceBps } = result.curve;
 * assert(cutoffKm > 150 && cutoffKm < 250);
 * assert(points[0].bps > points.at(-1)!.bps);
 * // The finite-key rate the link measured sits below the asymptotic one.
 * assert(atDistanceBps > SAMPLE_LINK_REPORT.key_rate_bps);
 * // A weak decoy at or above the signal is no decoy: the model says why.
 * const bad = { ...SAMPLE_LINK_REPORT.settings, intensities: [0.2, 0.5, 0] as [number, number, number] };
 * assertEquals(keyRateCurve(bad).ok, false);
 * ```
 */
export function keyRateCurve(
  settings: LinkSettingsReport,
): KeyRateCurveResult {
  const params = modelParams(settings);
  const bps = (km: number) =>
    decoyKeyRate({ ...params, distanceKm: km }).rate * settings.pulse_rate_hz;
  try {
    const cutoffKm = decoyCutoffKm(params);
    const points = Array.from({ length: CURVE_POINTS + 1 }, (_, i) => {
      const km = Number((cutoffKm * i / CURVE_POINTS).toFixed(2));
      return { km, bps: bps(km) };
    }).filter((point) => point.bps > 0);
    return {
      ok: true,
      curve: {
        settings,
        cutoffKm,
        atDistanceBps: bps(settings.distance_km),
        points,
      },
    };
  } catch (error) {
    // decoy.ts names the parameter it refuses, e.g. ν not below μ.
    return { ok: false, reason: errorMessage(error) };
  }
}
