/**
 * Test helper: a link report and a link status as a KMS on the demo's link
 * sends them, for the tests of the readers of `/link_status` and the `state`
 * event.
 *
 * @module
 */

import type { BlockReport, LinkReport } from "./link_report.ts";
import type { LinkStatusResponse } from "./types.ts";

/** One block of the demo link that gave key. */
export const SAMPLE_BLOCK: BlockReport = {
  index: 7,
  time: "2026-12-01T00:00:00.000Z",
  outcome: "key",
  eve: "none",
  qber: 0.021,
  pulses: 309_000_000,
  duration_s: 0.309,
  detections: 1_000_000,
  leaked_bits: 155_000,
  secret_bits: 320_960,
  decoy: {
    vacuum_detections_lower: 1200,
    single_photon_detections_lower: 640_000,
    phase_error_upper: 0.045,
  },
};

/** The demo link after seven blocks. */
export const SAMPLE_LINK_REPORT: LinkReport = {
  settings: {
    simulated: true,
    distance_km: 25,
    attenuation_db_per_km: 0.2,
    detector_efficiency: 0.1,
    dark_count_probability: 6e-7,
    misalignment_error: 0.02,
    intensities: [0.5, 0.2, 2e-4],
    intensity_probabilities: [0.2, 0.55, 0.25],
    key_basis_probability: 0.7,
    pulse_rate_hz: 1e9,
    block_size: 1_000_000,
    eps_sec: 1e-10,
    eps_cor: 1e-15,
  },
  eve: "none",
  key_rate_bps: 1_038_000,
  pool_bits: 2_246_720,
  pool_capacity_bits: 16_777_216,
  blocks: 7,
  last_block: SAMPLE_BLOCK,
};

/** A whole `GET /link_status` answer of a GREEN demo KMS. */
export const SAMPLE_LINK_STATUS: LinkStatusResponse = {
  status: "GREEN",
  qber: 0.02,
  total_keys_issued: 0,
  attacks_detected: 0,
  active_sessions: 0,
  history: [0.02],
  router_last_seen: null,
  attack_mode: false,
  link: SAMPLE_LINK_REPORT,
};
