import { assertEquals, assertStringIncludes } from "@std/assert";
import { renderToString } from "preact-render-to-string";
import { FAKE_LINK_REPORT } from "../_test_fake_kms.ts";
import { linkFromReport, withPool } from "../link_state.ts";
import QuantumLink from "./QuantumLink.tsx";

function view(link = linkFromReport(FAKE_LINK_REPORT, null), live = true) {
  const { series: _, ...rest } = link;
  return { live, link: rest };
}

Deno.test("QuantumLink shows the pool in bits and % of capacity, and the block", () => {
  const html = renderToString(<QuantumLink initial={view()} />);
  assertStringIncludes(html, '<span data-testid="pool-level">2.25 Mbit</span>');
  assertStringIncludes(html, "13.4% of");
  assertStringIncludes(html, 'aria-label="Key pool level"');
  assertStringIncludes(html, "Block 7 · 00:00:00Z · 3.09×10⁸ pulses");
  assertStringIncludes(html, 'data-testid="decoy-estimates"');
  // Eve off: no demo attack line.
  assertEquals(html.includes("simulated-attack"), false);
});

Deno.test("QuantumLink says a flush, and goes stale with the KMS", () => {
  const flushed = withPool(linkFromReport(FAKE_LINK_REPORT, null), {
    change: "flushed",
    bits: 2_246_720,
    poolBits: 0,
    poolCapacityBits: 16_777_216,
    time: "2026-12-01T00:00:02.000Z",
  });
  const html = renderToString(
    <QuantumLink initial={view(flushed, false)} />,
  );
  assertStringIncludes(
    html,
    "Pool flushed at 00:00:02Z: 2,246,720 bits discarded.",
  );
  assertStringIncludes(html, 'class="qlink stale"');
  const none = renderToString(
    <QuantumLink
      initial={view({
        ...flushed,
        lastBlock: null,
        blocks: 0,
        lastPoolChange: null,
      })}
    />,
  );
  assertStringIncludes(none, "No block finished yet.");
});
