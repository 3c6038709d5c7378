/**
 * The simulated eavesdropper's setting as the KMS keeps it: persisted in the
 * store's settings (so a restart keeps attack mode), compared, and shown in
 * audit rows.
 *
 * @module
 */

import type { Eavesdropper } from "../quantum/block_detections.ts";
import { isEveMode } from "../protocol/mod.ts";
import type { KmsStore } from "./store.ts";

/** No eavesdropper. */
export const NO_EVE: Readonly<Eavesdropper> = Object.freeze({ mode: "none" });

// "attack_mode" (on/off) is what KMSs before the continuous link stored.
const ATTACK_MODE = "attack_mode";
const EVE = "eve";

/**
 * Whether two settings put the same attack on the fibre (intercept-resend's
 * rate defaults to 1).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { sameEve } from "./eve.ts";
 *
 * assertEquals(sameEve({ mode: "intercept_resend" }, { mode: "intercept_resend", rate: 1 }), true);
 * assertEquals(sameEve({ mode: "pns" }, { mode: "none" }), false);
 * ```
 */
export function sameEve(a: Eavesdropper, b: Eavesdropper): boolean {
  if (a.mode !== b.mode) return false;
  return a.mode !== "intercept_resend" || (a.rate ?? 1) === (b.rate ?? 1);
}

/**
 * The audit fields of a setting: `mode=intercept-resend rate=1.0`,
 * `mode=pns`, `mode=none`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { eveFields } from "./eve.ts";
 *
 * assertEquals(eveFields({ mode: "intercept_resend" }), "mode=intercept-resend rate=1.0");
 * assertEquals(eveFields({ mode: "intercept_resend", rate: 0.25 }), "mode=intercept-resend rate=0.25");
 * assertEquals(eveFields({ mode: "pns" }), "mode=pns");
 * ```
 */
export function eveFields(eve: Eavesdropper): string {
  if (eve.mode !== "intercept_resend") return `mode=${eve.mode}`;
  const rate = eve.rate ?? 1;
  return `mode=intercept-resend rate=${
    Number.isInteger(rate) ? rate.toFixed(1) : rate
  }`;
}

/** The setting the store holds (none when it holds none). */
export function readEve(store: KmsStore): Eavesdropper {
  const saved = store.setting(EVE);
  if (saved !== undefined) {
    try {
      const eve = JSON.parse(saved);
      if (isEveMode(eve?.mode)) {
        return typeof eve.rate === "number"
          ? { mode: eve.mode, rate: eve.rate }
          : { mode: eve.mode };
      }
    } catch {
      // A setting this KMS did not write: no eavesdropper.
    }
  }
  return store.setting(ATTACK_MODE) === "on"
    ? { mode: "intercept_resend", rate: 1 }
    : { ...NO_EVE };
}

/** Persists `eve` (and the older on/off attack mode beside it). */
export function saveEve(store: KmsStore, eve: Eavesdropper): void {
  store.setSetting(EVE, JSON.stringify(eve));
  store.setSetting(ATTACK_MODE, eve.mode === "none" ? "off" : "on");
}
