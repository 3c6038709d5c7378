import type { Qubit } from "../bb84_demo.ts";

/** Props of {@linkcode BlochCircle}. */
export interface BlochCircleProps {
  /** Alice's qubit, drawn solid. */
  sent?: Qubit;
  /** Bob's measured state, drawn dashed. */
  measured?: Qubit;
}

const CENTER = 100;
const RADIUS = 70;

// The four BB84 states on the X–Z great circle of the Bloch sphere (QSEC2's
// Bloch view): rectilinear |0⟩ north and |1⟩ south (teal), diagonal |+⟩ at
// +X and |−⟩ at −X (amber). Orthogonal polarisations are antipodal.
const STATES = [
  { basis: "+", bit: 0, label: "|0⟩ ↑", dx: 0, dy: -1 },
  { basis: "+", bit: 1, label: "|1⟩ →", dx: 0, dy: 1 },
  { basis: "×", bit: 0, label: "|+⟩ ↗", dx: 1, dy: 0 },
  { basis: "×", bit: 1, label: "|−⟩ ↘", dx: -1, dy: 0 },
] as const;

function stateOf(qubit: Qubit) {
  return STATES.find((s) => s.basis === qubit.basis && s.bit === qubit.bit)!;
}

function Arrow(
  props: { qubit: Qubit; kind: "sent" | "measured" },
) {
  const state = stateOf(props.qubit);
  const basis = state.basis === "+" ? "rect" : "diag";
  return (
    <line
      class={`bloch-vector bloch-${props.kind} bloch-${basis}`}
      x1={CENTER}
      y1={CENTER}
      x2={CENTER + state.dx * (RADIUS - 6)}
      y2={CENTER + state.dy * (RADIUS - 6)}
      marker-end={`url(#bloch-head-${basis})`}
    />
  );
}

/**
 * A 2D Bloch circle with BB84's four states, and optionally the state Alice
 * sent and the one Bob measured.
 *
 * @example
 * ```tsx
 * import { assertStringIncludes } from "@std/assert";
 * import { renderToString } from "preact-render-to-string";
 * import { BlochCircle } from "./BlochCircle.tsx";
 *
 * const svg = renderToString(
 *   <BlochCircle sent={{ basis: "×", bit: 0 }} measured={{ basis: "+", bit: 1 }} />,
 * );
 * assertStringIncludes(svg, 'class="bloch-vector bloch-sent bloch-diag"');
 * assertStringIncludes(svg, 'class="bloch-vector bloch-measured bloch-rect"');
 * ```
 */
export function BlochCircle({ sent, measured }: BlochCircleProps) {
  return (
    <svg
      class="bloch"
      viewBox="-50 0 300 200"
      role="img"
      aria-label="Bloch circle: |0⟩ north and |1⟩ south (rectilinear basis), |+⟩ east and |−⟩ west (diagonal basis)"
    >
      <defs>
        {(["rect", "diag"] as const).map((basis) => (
          <marker
            id={`bloch-head-${basis}`}
            class={`bloch-head bloch-${basis}`}
            viewBox="0 0 10 10"
            refX="8"
            refY="5"
            markerWidth="5"
            markerHeight="5"
            orient="auto-start-reverse"
          >
            <path d="M0,0 L10,5 L0,10 z" />
          </marker>
        ))}
      </defs>
      <circle class="bloch-outline" cx={CENTER} cy={CENTER} r={RADIUS} />
      <line
        class="bloch-axis"
        x1={CENTER}
        y1={CENTER - RADIUS}
        x2={CENTER}
        y2={CENTER + RADIUS}
      />
      <line
        class="bloch-axis"
        x1={CENTER - RADIUS}
        y1={CENTER}
        x2={CENTER + RADIUS}
        y2={CENTER}
      />
      {STATES.map((state) => (
        <g class={`bloch-state bloch-${state.basis === "+" ? "rect" : "diag"}`}>
          <circle
            cx={CENTER + state.dx * RADIUS}
            cy={CENTER + state.dy * RADIUS}
            r="4"
          />
          <text
            x={CENTER + state.dx * (RADIUS + 8)}
            y={CENTER + state.dy * (RADIUS + 12) + 4}
            text-anchor={state.dx > 0
              ? "start"
              : state.dx < 0
              ? "end"
              : "middle"}
          >
            {state.label}
          </text>
        </g>
      ))}
      {sent && <Arrow qubit={sent} kind="sent" />}
      {measured && <Arrow qubit={measured} kind="measured" />}
    </svg>
  );
}
