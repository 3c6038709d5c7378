/// <reference lib="dom" />
import { useEffect, useRef } from "preact/hooks";
import { percent, scientific } from "../format.ts";
import { useLive } from "../live.ts";
import { usePolled } from "../poll.ts";
import {
  GAIN_DECADES,
  QBER_FULL_SCALE,
  scopeTraces,
  type Trace,
} from "../scope_trace.ts";
import {
  isLinkHistoryResponse,
  type LinkHistoryBlock,
} from "../../protocol/soc_api.ts";

// The screen's span, and how often it is asked again.
const SPAN_MS = 2 * 60_000;
const REFRESH_MS = 2_000;
const WIDTH = 600, HEIGHT = 240;
// The stylesheet's .ch-qber and .ch-gain-N give the readout the same colours.
const PHOSPHOR = {
  qber: "#4ade80",
  gains: ["#facc15", "#38bdf8", "#f0abfc"],
};
const GAIN_NAMES = ["signal μ", "weak decoy ν", "vacuum ω"];

function draw(canvas: HTMLCanvasElement, blocks: LinkHistoryBlock[]): number {
  const ctx = canvas.getContext("2d");
  if (!ctx) return 0;
  const traces = scopeTraces(blocks, {
    width: WIDTH,
    height: HEIGHT,
    now: Date.now(),
    spanMs: SPAN_MS,
  });
  ctx.fillStyle = "#03140b";
  ctx.fillRect(0, 0, WIDTH, HEIGHT);
  // The graticule: 10 × 8 divisions.
  ctx.strokeStyle = "rgba(74, 222, 128, 0.16)";
  ctx.lineWidth = 1;
  for (let i = 1; i < 10; i++) {
    line(ctx, [[i * WIDTH / 10, 0], [i * WIDTH / 10, HEIGHT]]);
  }
  for (let i = 1; i < 8; i++) {
    line(ctx, [[0, i * HEIGHT / 8], [WIDTH, i * HEIGHT / 8]]);
  }
  ctx.setLineDash([4, 4]);
  ctx.strokeStyle = "rgba(239, 68, 68, 0.7)";
  line(ctx, [[0, traces.thresholds[1]], [WIDTH, traces.thresholds[1]]]);
  ctx.strokeStyle = "rgba(234, 179, 8, 0.6)";
  line(ctx, [[0, traces.thresholds[0]], [WIDTH, traces.thresholds[0]]]);
  ctx.setLineDash([]);
  ctx.shadowBlur = 6;
  ctx.lineWidth = 2;
  traces.gains.forEach((trace, i) => {
    ctx.strokeStyle = ctx.shadowColor = PHOSPHOR.gains[i];
    line(ctx, trace);
  });
  ctx.strokeStyle = ctx.shadowColor = PHOSPHOR.qber;
  ctx.lineWidth = 2.5;
  line(ctx, traces.qber);
  ctx.shadowBlur = 0;
  return traces.blocks;
}

function line(ctx: CanvasRenderingContext2D, trace: Trace): void {
  if (trace.length === 0) return;
  ctx.beginPath();
  ctx.moveTo(...trace[0]);
  for (const point of trace.slice(1)) ctx.lineTo(...point);
  if (trace.length === 1) ctx.lineTo(trace[0][0] - 3, trace[0][1]);
  ctx.stroke();
}

/**
 * An oscilloscope-like view of the quantum channel, live: channel 1 traces
 * each block's QBER (0–30%, thresholds dashed), channel 2 the decoy-state
 * gains Q_μ of the three intensities (log scale), over the last two minutes.
 * Intercept-resend lifts channel 1 to about 25%; photon-number splitting
 * leaves it low and moves channel 2. It plots the KMS's simulated
 * measurements, and says so; asked every 2 s while the KMS is reachable.
 *
 * @example
 * ```tsx
 * import { assertStringIncludes } from "@std/assert";
 * import { renderToString } from "preact-render-to-string";
 * import ChannelMonitor from "./ChannelMonitor.tsx";
 *
 * const html = renderToString(<ChannelMonitor initial />);
 * assertStringIncludes(html, "Simulated measurement");
 * assertStringIncludes(html, "CH1 QBER");
 * ```
 */
export default function ChannelMonitor(props: { initial: boolean }) {
  const live = useLive(props.initial, (state) => state.kms === "live");
  const canvas = useRef<HTMLCanvasElement>(null);
  const history = usePolled(live ? "channel-monitor" : null, {
    intervalMs: REFRESH_MS,
    parse: (json) => isLinkHistoryResponse(json) ? json.blocks : null,
    url: () => `/api/history?since=${Date.now() - SPAN_MS}&max=240`,
  });
  const blocks = history.data ?? [];
  const latest = blocks.at(-1);
  useEffect(() => {
    if (!canvas.current) return;
    canvas.current.dataset.blocks = String(draw(canvas.current, blocks));
  }, [blocks]);
  return (
    <figure
      class="scope"
      data-testid="channel-monitor"
      data-latest-qber={latest ? String(latest.qber) : ""}
    >
      <p class="scope-label">
        Simulated measurement: the KMS's classical simulation of the channel,
        not a detector
      </p>
      <canvas
        ref={canvas}
        width={WIDTH}
        height={HEIGHT}
        role="img"
        aria-label={`Channel monitor (simulated): ${
          latest
            ? `latest block QBER ${percent(latest.qber)}`
            : "no blocks in the last two minutes"
        }`}
      />
      <figcaption class="scope-readout">
        <span class="ch-qber">
          CH1 QBER {latest ? percent(latest.qber) : "–"}{" "}
          (0–{percent(QBER_FULL_SCALE)})
        </span>
        {GAIN_NAMES.map((name, i) => (
          <span key={name} class={`ch-gain-${i}`}>
            CH2 Q {name} {latest?.gains ? scientific(latest.gains[i]) : "–"}
          </span>
        ))}
        <span>
          CH2 scale 10^{GAIN_DECADES[0]}–10^{GAIN_DECADES[1]} · 2 min across
          {history.error ? ` · ${history.error}` : ""}
        </span>
      </figcaption>
    </figure>
  );
}
