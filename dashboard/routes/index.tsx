import type { Handlers, PageProps } from "../_fresh/server.ts";
import { runBb84Demo } from "../bb84_demo.ts";
import { Panel } from "../components/Panel.tsx";
import { SimulationNotice } from "../components/SimulationNotice.tsx";
import AuditLog from "../islands/AuditLog.tsx";
import Bb84Explainer from "../islands/Bb84Explainer.tsx";
import LinkCounters from "../islands/LinkCounters.tsx";
import LinkStatusBanner from "../islands/LinkStatusBanner.tsx";
import OperatorControls from "../islands/OperatorControls.tsx";
import QberChart from "../islands/QberChart.tsx";
import QberGauge from "../islands/QberGauge.tsx";
import RouterStatus from "../islands/RouterStatus.tsx";
import type { AppState } from "../kms_monitor.ts";
import type { SocState } from "../soc_state.ts";
import {
  bannerView,
  countersView,
  gaugeView,
  routerView,
} from "../soc_views.ts";
import { wholePercent } from "../format.ts";
import { RED_THRESHOLD, YELLOW_THRESHOLD } from "../../protocol/link_policy.ts";

/** What the page renders from. */
export interface SocPageData {
  /** The dashboard's view of the KMS. */
  state: SocState;
  /** The KMS's base URL, shown in the header. */
  kmsUrl: string;
}

/** GET /: the SOC view, rendered from the current state. */
export const handler: Handlers<SocPageData, AppState> = {
  GET(_request, ctx) {
    const { monitor } = ctx.state;
    return ctx.render({ state: monitor.state, kmsUrl: monitor.kmsUrl });
  },
};

/**
 * The security operations view: link status, QBER gauge and history,
 * counters, router guard, controls, audit log and the BB84 explainer.
 *
 * @example
 * ```tsx
 * import { assertStringIncludes } from "@std/assert";
 * import { renderToString } from "preact-render-to-string";
 * import { KmsMonitor } from "../kms_monitor.ts";
 * import { INITIAL_SOC_STATE } from "../soc_state.ts";
 * import SocPage from "./index.tsx";
 *
 * const monitor = new KmsMonitor({ kmsUrl: "http://kms.test" });
 * const html = renderToString(
 *   <SocPage
 *     data={{ state: INITIAL_SOC_STATE, kmsUrl: "http://kms.test" }}
 *     url={new URL("http://x/")}
 *     params={{}}
 *     state={{ monitor }}
 *   />,
 * );
 * assertStringIncludes(html, "<code>http://kms.test</code>");
 * assertStringIncludes(html, 'data-status="connecting"');
 * assertStringIncludes(html, "thresholds 5% / 11%");
 * ```
 */
export default function SocPage({ data }: PageProps<SocPageData, AppState>) {
  const { state, kmsUrl } = data;
  return (
    <div class="soc">
      <header class="soc-header">
        <div class="brand">
          <h1>QSTCS Security Operations</h1>
          <p>
            Quantum-aware secure tactical communication · KMS{" "}
            <code>{kmsUrl}</code> · times in UTC
          </p>
        </div>
        <SimulationNotice />
      </header>
      <main class="grid">
        <div class="span-12">
          <LinkStatusBanner initial={bannerView(state)} />
        </div>
        <Panel
          title="QBER"
          note={`thresholds ${wholePercent(YELLOW_THRESHOLD)} / ${
            wholePercent(RED_THRESHOLD)
          }`}
          class="span-3"
        >
          <QberGauge initial={gaugeView(state)} />
        </Panel>
        <Panel title="Key management" class="span-3">
          <LinkCounters initial={countersView(state)} />
        </Panel>
        <Panel title="Router guard" class="span-3">
          <RouterStatus initial={routerView(state)} />
        </Panel>
        <Panel title="Operator controls" class="span-3">
          <OperatorControls initial={state.kms} />
        </Panel>
        <Panel
          title="QBER history"
          note="every BB84 run, live"
          class="span-8"
        >
          <QberChart initial={state.history} />
        </Panel>
        <Panel title="Audit log" note="from the KMS" class="span-4">
          <AuditLog initial={state.audit} />
        </Panel>
        <Panel
          title="How BB84 catches an eavesdropper"
          note="runs in your browser with the QSTCS engine"
          class="span-12"
        >
          <Bb84Explainer initial={runBb84Demo({ qubits: 16, eve: false })} />
        </Panel>
      </main>
      <footer class="soc-footer">
        The dashboard reads the KMS's event stream and never sees key material.
        Force Attack and Reset go to the KMS through this server.
      </footer>
    </div>
  );
}
