/**
 * The honest label: the quantum part of the system is simulated.
 *
 * @example
 * ```tsx
 * import { assertStringIncludes } from "@std/assert";
 * import { renderToString } from "preact-render-to-string";
 * import { SimulationNotice } from "./SimulationNotice.tsx";
 *
 * assertStringIncludes(
 *   renderToString(<SimulationNotice />),
 *   "BB84 quantum channel: classical simulation",
 * );
 * ```
 */
export function SimulationNotice() {
  return (
    <p class="sim-notice" data-testid="simulation-notice">
      <strong>BB84 quantum channel: classical simulation</strong>
      <span>
        no photon hardware; sifting, QBER, reconciliation, key derivation,
        AES-256-GCM and the router's iptables rules are real
      </span>
    </p>
  );
}
