import { useState } from "preact/hooks";
import { TableScroll } from "../components/TableScroll.tsx";
import { BlochCircle } from "../components/BlochCircle.tsx";
import {
  type Bb84Demo,
  type DemoPosition,
  MAX_DEMO_QUBITS,
  MIN_DEMO_QUBITS,
  photon,
  runBb84Demo,
} from "../bb84_demo.ts";
import { percent, wholePercent } from "../format.ts";
import { RED_THRESHOLD } from "../../protocol/link_policy.ts";

const SIZES = [MIN_DEMO_QUBITS, 24, MAX_DEMO_QUBITS];

function verdict(demo: Bb84Demo): string {
  if (demo.qber === null) return "Nothing survived sifting: run again.";
  const red = wholePercent(RED_THRESHOLD);
  return demo.qber >= RED_THRESHOLD
    ? `at or above ${red}: Alice and Bob discard the key, an eavesdropper is likely.`
    : `below ${red}: the key would go on to reconciliation and privacy amplification.`;
}

function describe(index: number, p: DemoPosition): string {
  const sent = `Alice sent ${
    photon(p.alice)
  } (${p.alice.basis} basis, bit ${p.alice.bit})`;
  const got = `Bob measured in ${p.bob.basis} and got ${p.bob.bit}`;
  const why = !p.kept
    ? "bases differ: a coin flip, discarded in sifting"
    : p.error
    ? "same basis but a different bit: an error"
    : "same basis, same bit: kept";
  return `Position ${index + 1}: ${sent}; ${got} (${why}).`;
}

/**
 * A small BB84 exchange run in the browser with the real engine, shown as
 * the report's tables (Alice's bits, bases and photons; Bob's bases and
 * results; sifting; errors; QBER) beside a Bloch circle of the chosen qubit.
 *
 * @example
 * ```tsx
 * import { assertEquals, assertStringIncludes } from "@std/assert";
 * import { renderToString } from "preact-render-to-string";
 * import { runBb84Demo } from "../bb84_demo.ts";
 * import Bb84Explainer from "./Bb84Explainer.tsx";
 *
 * const html = renderToString(
 *   <Bb84Explainer initial={runBb84Demo({ qubits: 16, eve: true })} />,
 * );
 * assertEquals(html.match(/<button type="button" class="pos"/g)?.length, 16);
 * assertStringIncludes(html, "(Eve was on the channel.)");
 * ```
 */
export default function Bb84Explainer(props: { initial: Bb84Demo }) {
  const [demo, setDemo] = useState(props.initial);
  const [qubits, setQubits] = useState(props.initial.positions.length);
  const [eve, setEve] = useState(props.initial.eve);
  const [selected, setSelected] = useState(0);
  const chosen = demo.positions[Math.min(selected, demo.positions.length - 1)];
  const kept = demo.positions.filter((p) => p.kept).length;

  function run() {
    setDemo(runBb84Demo({ qubits, eve }));
    setSelected(0);
  }

  const row = (
    label: string,
    cell: (p: DemoPosition) => string,
    cellClass?: (p: DemoPosition) => string,
  ) => (
    <tr>
      <th scope="row">{label}</th>
      {demo.positions.map((p, i) => (
        <td
          class={`${cellClass?.(p) ?? ""} ${
            i === selected ? "col-selected" : ""
          }`}
        >
          {cell(p)}
        </td>
      ))}
    </tr>
  );

  return (
    <div class="bb84" data-testid="bb84-explainer">
      <form
        class="bb84-controls"
        onSubmit={(event) => {
          event.preventDefault();
          run();
        }}
      >
        <label>
          Qubits{" "}
          <select
            value={qubits}
            onChange={(e) => setQubits(Number(e.currentTarget.value))}
          >
            {SIZES.map((n) => <option key={n} value={n}>{n}</option>)}
          </select>
        </label>
        <label>
          <input
            type="checkbox"
            checked={eve}
            onChange={(e) => setEve(e.currentTarget.checked)}
          />{" "}
          Eve intercepts every qubit (intercept-resend)
        </label>
        <button class="btn" type="submit" data-testid="bb84-run">
          Run BB84
        </button>
      </form>
      <div class="bb84-body">
        <TableScroll
          label="The run's qubits"
          more="more positions"
          class="bb84-tables"
        >
          <table class="bits" data-testid="bb84-table">
            <thead>
              <tr>
                <th scope="col">Position</th>
                {demo.positions.map((_, i) => (
                  <th scope="col" class={i === selected ? "col-selected" : ""}>
                    <button
                      type="button"
                      class="pos"
                      aria-pressed={i === selected}
                      onClick={() =>
                        setSelected(i)}
                    >
                      {i + 1}
                    </button>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {row("Alice bit", (p) => String(p.alice.bit))}
              {row("Alice basis", (p) => p.alice.basis)}
              {row("Photon", (p) =>
                photon(p.alice), (p) =>
                `photon ${p.alice.basis === "+" ? "rect" : "diag"}`)}
              {row("Bob basis", (p) =>
                p.bob.basis)}
              {row("Bob result", (p) =>
                String(p.bob.bit), (p) =>
                p.kept ? "" : "random")}
              {row("Sifting", (p) =>
                p.kept ? "keep" : "—", (p) =>
                p.kept ? "kept" : "dropped")}
              {row("Check", (p) =>
                !p.kept ? "" : p.error ? "✗" : "✓", (p) =>
                p.error ? "error" : p.kept ? "agree" : "")}
            </tbody>
          </table>
          <p class="bb84-summary" data-testid="bb84-summary">
            Kept after sifting: <strong>{kept}</strong> of{" "}
            {demo.positions.length} · disagreements:{" "}
            <strong>{demo.errors}</strong> · QBER{" "}
            <strong>{percent(demo.qber)}</strong>, {verdict(demo)}
            {demo.eve ? " (Eve was on the channel.)" : ""}
          </p>
          <dl class="sifted">
            <div>
              <dt>Alice's sifted key</dt>
              <dd>{demo.siftedAlice || "—"}</dd>
            </div>
            <div>
              <dt>Bob's sifted key</dt>
              <dd>
                {[...demo.siftedBob].map((bit, i) => (
                  <span class={bit === demo.siftedAlice[i] ? "" : "error"}>
                    {bit}
                  </span>
                ))}
              </dd>
            </div>
          </dl>
          <p class="bb84-note">
            Grey results are coin flips (Bob chose the other basis) and are
            discarded. With so few qubits every kept bit is compared; the KMS
            sends thousands and compares a 20% sample. Without Eve a noiseless
            channel shows 0%; Eve's wrong-basis guesses (half the time) make Bob
            wrong half of those times: about 25%.
          </p>
        </TableScroll>
        <figure class="bb84-bloch">
          <BlochCircle sent={chosen.alice} measured={chosen.bob} />
          <figcaption>
            <span class="legend legend-sent">solid: Alice's state</span>
            <span class="legend legend-measured">dashed: Bob's result</span>
            <span class="bloch-describe">{describe(selected, chosen)}</span>
          </figcaption>
        </figure>
      </div>
    </div>
  );
}
