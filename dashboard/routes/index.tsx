import type { Handlers, PageProps } from "../_fresh/server.ts";
import { runBb84Demo } from "../bb84_demo.ts";
import { Panel } from "../components/Panel.tsx";
import { SimulationNotice } from "../components/SimulationNotice.tsx";
import AlertCenter from "../islands/AlertCenter.tsx";
import AuditExplorer from "../islands/AuditExplorer.tsx";
import AuditLog from "../islands/AuditLog.tsx";
import ChannelMonitor from "../islands/ChannelMonitor.tsx";
import IncidentList from "../islands/IncidentList.tsx";
import NetworkView from "../islands/NetworkView.tsx";
import Bb84Explainer from "../islands/Bb84Explainer.tsx";
import DistanceChart from "../islands/DistanceChart.tsx";
import KeyRateChart from "../islands/KeyRateChart.tsx";
import LinkCounters from "../islands/LinkCounters.tsx";
import LinkSettings from "../islands/LinkSettings.tsx";
import LinkStatusBanner from "../islands/LinkStatusBanner.tsx";
import OpenKmsBanner from "../islands/OpenKmsBanner.tsx";
import OperatorControls from "../islands/OperatorControls.tsx";
import QberChart from "../islands/QberChart.tsx";
import QberGauge from "../islands/QberGauge.tsx";
import QuantumLink from "../islands/QuantumLink.tsx";
import RoomsPanel from "../islands/RoomsPanel.tsx";
import RouterStatus from "../islands/RouterStatus.tsx";
import { CSRF_FIELD } from "../operator_auth.ts";
import type { AppState } from "../app_state.ts";
import type { SocState } from "../soc_state.ts";
import {
  alertView,
  bannerView,
  countersView,
  gaugeView,
  routerView,
} from "../soc_views.ts";
import {
  linkPanelView,
  linkSeriesView,
  operatingPoint,
} from "../link_views.ts";
import { keyRateCurve } from "../key_rate_curve.ts";
import { wholePercent } from "../format.ts";
import { RED_THRESHOLD, YELLOW_THRESHOLD } from "../../protocol/link_policy.ts";

/** What the page renders from. */
export interface SocPageData {
  /** The dashboard's view of the KMS. */
  state: SocState;
  /** The KMS's base URL, shown in the header. */
  kmsUrl: string;
  /** The logged-in operator's name. */
  operator: string;
  /** The session's CSRF token, for the page's POSTs. */
  csrf: string;
  /** Whether a relay is configured for the network view. */
  hasRelay: boolean;
}

/**
 * GET /: the SOC view, rendered from the current state, for a logged-in
 * operator; anyone else goes to the login. The view stays behind the login
 * because its audit log names devices, operators and their addresses, which
 * is reconnaissance for an attacker on the LAN (the link status itself is
 * public at the KMS's `/link_status`, which the router guard polls).
 */
export const handler: Handlers<SocPageData, AppState> = {
  GET(request, ctx) {
    const { monitor, auth, queries } = ctx.state;
    const session = auth.session(request);
    if (!session) {
      return new Response(null, {
        status: 303,
        headers: { location: "/login" },
      });
    }
    return ctx.render({
      state: monitor.state,
      kmsUrl: monitor.kmsUrl,
      operator: session.operator,
      csrf: session.csrf,
      hasRelay: queries.hasRelay,
    });
  },
};

/**
 * The security operations view: link status and alerting, controls (near
 * the top, for a phone), QBER gauge, counters, router guard, incidents, the
 * QBER over time, the live audit log, the channel monitor, the network, the
 * audit search, the simulated QKD link (its
 * key rate, pool, latest block, key-rate-vs-distance curve and settings)
 * and the BB84 explainer.
 *
 * @example
 * ```tsx
 * import { assertStringIncludes } from "@std/assert";
 * import { renderToString } from "preact-render-to-string";
 * import { KmsMonitor } from "../kms_monitor.ts";
 * import { OperatorAuth } from "../operator_auth.ts";
 * import { INITIAL_SOC_STATE } from "../soc_state.ts";
 * import { SocQueries } from "../soc_queries.ts";
 * import SocPage from "./index.tsx";
 *
 * const monitor = new KmsMonitor({ kmsUrl: "http://kms.test" });
 * const html = renderToString(
 *   <SocPage
 *     data={{ state: INITIAL_SOC_STATE, kmsUrl: "http://kms.test", operator: "Operator", csrf: "c", hasRelay: false }}
 *     url={new URL("http://x/")}
 *     params={{}}
 *     state={{ monitor, auth: new OperatorAuth(null), queries: new SocQueries({ kmsUrl: "http://kms.test" }), log: () => {} }}
 *   />,
 * );
 * assertStringIncludes(html, "<code>http://kms.test</code>");
 * assertStringIncludes(html, 'data-status="connecting"');
 * assertStringIncludes(html, "thresholds 5% / 11%");
 * assertStringIncludes(html, "Logged in as <strong>Operator</strong>");
 * ```
 */
export default function SocPage({ data }: PageProps<SocPageData, AppState>) {
  const { state, kmsUrl, operator, csrf, hasRelay } = data;
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
        <form class="session" method="post" action="/logout">
          <span>
            Logged in as <strong>{operator}</strong>
          </span>
          <input type="hidden" name={CSRF_FIELD} value={csrf} />
          <button class="btn btn-quiet" type="submit" data-testid="logout">
            Log out
          </button>
        </form>
      </header>
      <OpenKmsBanner initial={state.kmsAuth} />
      <main class="grid">
        <div class="span-12">
          <LinkStatusBanner initial={bannerView(state)} />
        </div>
        <div class="span-12">
          <AlertCenter initial={alertView(state)} csrf={csrf} />
        </div>
        <Panel title="Operator controls" class="span-3">
          <OperatorControls initial={state.kms} csrf={csrf} />
        </Panel>
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
        <Panel
          title="Incidents"
          note="from the link turning RED to the reset"
          class="span-12"
        >
          <IncidentList initial={state.incidents.recent} csrf={csrf} />
        </Panel>
        <Panel
          title="QBER over time"
          note="every block, kept across resets"
          class="span-8"
        >
          <QberChart
            initial={{
              history: state.history,
              incidents: state.incidents.recent,
              kmsLive: state.kms === "live",
            }}
          />
        </Panel>
        <Panel title="Audit log" note="live, from the KMS" class="span-4">
          <AuditLog initial={state.audit} />
        </Panel>
        <Panel
          title="Channel monitor (simulated)"
          note="per-block QBER and decoy gains, live"
          class="span-6"
        >
          <ChannelMonitor initial={state.kms === "live"} />
        </Panel>
        <Panel
          title="Network"
          note="relay devices, queues, drops; router guard"
          class="span-6"
        >
          <NetworkView initial={routerView(state)} hasRelay={hasRelay} />
        </Panel>
        <Panel
          title="Squad rooms"
          note="from the KMS: members, epoch, ready"
          class="span-12"
        >
          <RoomsPanel initial={state.kms === "live"} />
        </Panel>
        <Panel
          title="Audit search"
          note="the KMS's whole log: filter, search, export"
          class="span-12"
        >
          <AuditExplorer />
        </Panel>
        <Panel
          title="Quantum link (simulated)"
          note="decoy-state BB84, block after block"
          class="span-4"
        >
          <QuantumLink initial={linkPanelView(state)} />
        </Panel>
        <Panel
          title="Key rate and pool (simulated)"
          note="every block and pool change, live"
          class="span-8"
        >
          <KeyRateChart initial={linkSeriesView(state)} />
        </Panel>
        <Panel
          title="Key rate vs distance (simulated)"
          note="model curve and the running link"
          class="span-8"
        >
          <DistanceChart
            curve={state.link && keyRateCurve(state.link.settings)}
            initial={operatingPoint(state)}
          />
        </Panel>
        <Panel
          title="Link settings (simulated)"
          note="from the KMS's flags"
          class="span-4"
        >
          <LinkSettings initial={state.link?.settings ?? null} />
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
        Force Attack and Reset go to the KMS through this server, with its
        operator credential.
      </footer>
    </div>
  );
}
