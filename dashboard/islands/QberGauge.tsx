import { percent, wholePercent } from "../format.ts";
import { useLive } from "../live.ts";
import { type GaugeView, gaugeView } from "../soc_views.ts";
import {
  RED_THRESHOLD,
  ROLLING_WINDOW,
  YELLOW_THRESHOLD,
} from "../../protocol/link_policy.ts";

// Eve's intercept-resend gives about 25%: the scale ends a little above.
const SCALE_MAX = 0.3;
const CX = 120, CY = 120, R = 92;

function point(value: number, radius = R): [number, number] {
  const angle = Math.PI * (1 - Math.min(value, SCALE_MAX) / SCALE_MAX);
  return [CX + radius * Math.cos(angle), CY - radius * Math.sin(angle)];
}

function arc(from: number, to: number): string {
  const [x1, y1] = point(from);
  const [x2, y2] = point(to);
  return `M${x1.toFixed(1)},${y1.toFixed(1)} A${R},${R} 0 0 1 ${
    x2.toFixed(1)
  },${y2.toFixed(1)}`;
}

function zone(qber: number | null): string {
  if (qber === null) return "none";
  return qber >= RED_THRESHOLD
    ? "red"
    : qber >= YELLOW_THRESHOLD
    ? "yellow"
    : "green";
}

/**
 * A half-dial of the latest block's QBER with the YELLOW and RED thresholds, and
 * the rolling average the link status follows.
 *
 * @example
 * ```tsx
 * import { assertStringIncludes } from "@std/assert";
 * import { renderToString } from "preact-render-to-string";
 * import QberGauge from "./QberGauge.tsx";
 *
 * const html = renderToString(
 *   <QberGauge initial={{ qber: 0.25, rollingQber: 0.07, live: false }} />,
 * );
 * assertStringIncludes(html, 'class="gauge-value zone-text-red"');
 * assertStringIncludes(html, "rolling 7.0% over the last 5 blocks (stale)");
 * ```
 */
export default function QberGauge(props: { initial: GaugeView }) {
  const { qber, rollingQber, live } = useLive(props.initial, gaugeView);
  const [nx, ny] = point(qber ?? 0, R - 16);
  const ticks = [0, YELLOW_THRESHOLD, RED_THRESHOLD, SCALE_MAX];
  return (
    <div class={`gauge ${live ? "" : "stale"}`} data-testid="qber-gauge">
      <svg
        viewBox="0 0 240 166"
        role="img"
        aria-label={`QBER of the latest block ${percent(qber)}`}
      >
        <path class="gauge-zone zone-green" d={arc(0, YELLOW_THRESHOLD)} />
        <path
          class="gauge-zone zone-yellow"
          d={arc(YELLOW_THRESHOLD, RED_THRESHOLD)}
        />
        <path class="gauge-zone zone-red" d={arc(RED_THRESHOLD, SCALE_MAX)} />
        {ticks.map((tick) => {
          // The two ends sit under the arc; the thresholds just outside it.
          const end = tick === 0 || tick === SCALE_MAX;
          const [tx, ty] = end ? point(tick) : point(tick, R + 16);
          return (
            <text
              class="gauge-tick"
              x={tx.toFixed(1)}
              y={(end ? ty + 20 : ty + 4).toFixed(1)}
              text-anchor="middle"
            >
              {wholePercent(tick)}
            </text>
          );
        })}
        {qber !== null && (
          <line class="gauge-needle" x1={CX} y1={CY} x2={nx} y2={ny} />
        )}
        <circle class="gauge-hub" cx={CX} cy={CY} r="5" />
        {/* Below the hub, where the needle (always above it) never reaches. */}
        <text
          class={`gauge-value zone-text-${zone(qber)}`}
          x={CX}
          y={CY + 38}
          text-anchor="middle"
        >
          {percent(qber)}
        </text>
      </svg>
      <p class="gauge-caption">
        latest block · rolling {percent(rollingQber)} over the last{" "}
        {ROLLING_WINDOW} blocks
        {live ? "" : " (stale)"}
      </p>
    </div>
  );
}
