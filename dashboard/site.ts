/**
 * The dashboard's pages, endpoints and islands, listed: what `main.ts`
 * serves and `build.ts` bundles.
 *
 * @module
 */

import type { Site } from "./_fresh/server.ts";
import AlertCenter from "./islands/AlertCenter.tsx";
import AuditExplorer from "./islands/AuditExplorer.tsx";
import AuditLog from "./islands/AuditLog.tsx";
import Bb84Explainer from "./islands/Bb84Explainer.tsx";
import ChannelMonitor from "./islands/ChannelMonitor.tsx";
import DistanceChart from "./islands/DistanceChart.tsx";
import IncidentList from "./islands/IncidentList.tsx";
import KeyRateChart from "./islands/KeyRateChart.tsx";
import LinkCounters from "./islands/LinkCounters.tsx";
import LinkSettings from "./islands/LinkSettings.tsx";
import LinkStatusBanner from "./islands/LinkStatusBanner.tsx";
import NetworkView from "./islands/NetworkView.tsx";
import OpenKmsBanner from "./islands/OpenKmsBanner.tsx";
import OperatorControls from "./islands/OperatorControls.tsx";
import QberChart from "./islands/QberChart.tsx";
import QberGauge from "./islands/QberGauge.tsx";
import QuantumLink from "./islands/QuantumLink.tsx";
import RoomsPanel from "./islands/RoomsPanel.tsx";
import RouterStatus from "./islands/RouterStatus.tsx";
import App from "./routes/_app.tsx";
import * as action from "./routes/api/[action].ts";
import * as events from "./routes/events.ts";
import * as index from "./routes/index.tsx";
import * as login from "./routes/login.tsx";
import * as logout from "./routes/logout.ts";

/** The SOC dashboard; route handlers find an `AppState` in `ctx.state`. */
export const site: Site = {
  root: new URL("./", import.meta.url),
  app: App,
  routes: {
    "/": index,
    "/login": login,
    "/logout": logout,
    "/events": events,
    "/api/:action": action,
  },
  islands: {
    AlertCenter,
    AuditExplorer,
    AuditLog,
    Bb84Explainer,
    ChannelMonitor,
    DistanceChart,
    IncidentList,
    KeyRateChart,
    LinkCounters,
    LinkSettings,
    LinkStatusBanner,
    NetworkView,
    OpenKmsBanner,
    OperatorControls,
    QberChart,
    QberGauge,
    QuantumLink,
    RoomsPanel,
    RouterStatus,
  },
};
