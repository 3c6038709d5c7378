/**
 * Test helper: the demo's link as the finite-key tests and the bench assume
 * it, 25 km of fibre at about 2% QBER (misalignment 2%, the detectors of Lim
 * et al. 2014, Sec. IV), with fixed decoy settings a link would ship and
 * Cascade's measured efficiency f = 1.07.
 *
 * @module
 */

import type { FiniteKeyChannel } from "./finite_key_channel.ts";
import { DEMO_LINK_SETTINGS } from "./qkd_link.ts";

const { blockSize: _block, pulseRate: _rate, ...link } = DEMO_LINK_SETTINGS;

/** Everything but the block size. */
export const DEMO_LINK: Omit<FiniteKeyChannel, "blockSize"> = {
  ...link,
  reconciliationEfficiency: 1.07,
};
