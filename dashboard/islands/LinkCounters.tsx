import { useLive } from "../live.ts";
import { type CountersView, countersView } from "../soc_views.ts";

/**
 * Keys issued, attacks detected and active sessions, as the KMS counts them.
 *
 * @example
 * ```tsx
 * import { assertStringIncludes } from "@std/assert";
 * import { renderToString } from "preact-render-to-string";
 * import LinkCounters from "./LinkCounters.tsx";
 *
 * const view = { keysIssued: 7, attacksDetected: 1, activeSessions: 2, live: true };
 * const html = renderToString(<LinkCounters initial={view} />);
 * assertStringIncludes(html, '<dd data-testid="keys-issued">7</dd>');
 * assertStringIncludes(html, '<div class="counter counter-alert"><dt>Attacks detected</dt>');
 * ```
 */
export default function LinkCounters(props: { initial: CountersView }) {
  const view = useLive(props.initial, countersView);
  const tiles = [
    { label: "Keys issued", value: view.keysIssued, id: "keys-issued" },
    {
      label: "Attacks detected",
      value: view.attacksDetected,
      id: "attacks-detected",
      alert: view.attacksDetected > 0,
    },
    {
      label: "Active sessions",
      value: view.activeSessions,
      id: "active-sessions",
    },
  ];
  return (
    <dl class={`counters ${view.live ? "" : "stale"}`}>
      {tiles.map((tile) => (
        <div class={`counter ${tile.alert ? "counter-alert" : ""}`}>
          <dt>{tile.label}</dt>
          <dd data-testid={tile.id}>{tile.value}</dd>
        </div>
      ))}
    </dl>
  );
}
