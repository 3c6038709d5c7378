import { count, percent, scientific, withPrefix, zuluTime } from "../format.ts";
import { RowList } from "../components/RowList.tsx";
import { useLive } from "../live.ts";
import {
  decoyRows,
  outcomeSentence,
  simulatedAttack,
} from "../block_outcome.ts";
import { type LinkPanelView, linkPanelView } from "../link_views.ts";

/**
 * The simulated link now: key rate, pool level, the latest block's outcome
 * in words and its decoy estimates, and the demo's attack when the KMS's
 * operator switched one on.
 *
 * @example
 * ```tsx
 * import { assertStringIncludes } from "@std/assert";
 * import { renderToString } from "preact-render-to-string";
 * import QuantumLink from "./QuantumLink.tsx";
 * import { FAKE_LINK_REPORT } from "../_test_fake_kms.ts";
 * import { linkFromReport } from "../link_state.ts";
 *
 * const { series: _, ...link } = linkFromReport(FAKE_LINK_REPORT, null);
 * const html = renderToString(<QuantumLink initial={{ live: true, link }} />);
 * assertStringIncludes(html, '<dd data-testid="key-rate">1.04 Mbit/s</dd>');
 * assertStringIncludes(html, "Key: 320,960 secret bits to the pool");
 * ```
 */
export default function QuantumLink(props: { initial: LinkPanelView }) {
  const { live, link } = useLive(props.initial, linkPanelView);
  if (!link) {
    return (
      <p class="qlink-none" data-testid="quantum-link">
        No link report from the KMS yet.
      </p>
    );
  }
  const block = link.lastBlock;
  const honest = {
    expected: link.expected,
    blockSize: link.settings.block_size,
  };
  const attack = simulatedAttack(link.eve);
  const flushed = link.lastPoolChange?.change === "flushed"
    ? link.lastPoolChange
    : null;
  return (
    <div
      class={`qlink ${live ? "" : "stale"}`}
      data-testid="quantum-link"
      data-blocks={link.blocks}
      data-outcome={block?.outcome ?? ""}
    >
      <dl class="qlink-figures">
        <div class="counter">
          <dt>Secret key rate</dt>
          <dd data-testid="key-rate">{withPrefix(link.keyRateBps, "bit/s")}</dd>
        </div>
        <div class="counter">
          <dt>Key pool</dt>
          <dd>
            <span data-testid="pool-level">
              {withPrefix(link.poolBits, "bit")}
            </span>
            <meter
              min={0}
              max={Math.max(1, link.poolCapacityBits)}
              value={link.poolBits}
              aria-label="Key pool level"
            />
            <span class="qlink-note">
              {percent(link.poolBits / Math.max(1, link.poolCapacityBits))} of
              {" "}
              {withPrefix(link.poolCapacityBits, "bit")}
            </span>
          </dd>
        </div>
        <div class="counter">
          <dt>Blocks</dt>
          <dd data-testid="link-blocks">{count(link.blocks)}</dd>
        </div>
      </dl>
      {block
        ? (
          <div class={`qlink-block outcome-${block.outcome}`}>
            <h3>
              Block {count(block.index)} · {zuluTime(block.time)} ·{" "}
              {scientific(block.pulses)} pulses in{" "}
              {Number(block.duration_s.toPrecision(3))} s of link time
            </h3>
            <p data-testid="block-outcome">{outcomeSentence(block, honest)}</p>
            {block.message && <p class="qlink-note">KMS: {block.message}</p>}
            {block.decoy && (
              <RowList
                rows={decoyRows(block, honest)}
                testId="decoy-estimates"
              />
            )}
          </div>
        )
        : <p class="qlink-note">No block finished yet.</p>}
      {attack && (
        <p class="qlink-attack" data-testid="simulated-attack">{attack}</p>
      )}
      {flushed && (
        <p class="qlink-note" data-testid="pool-flushed">
          Pool flushed at {zuluTime(flushed.time)}: {count(flushed.bits)}{" "}
          bits discarded.
        </p>
      )}
    </div>
  );
}
