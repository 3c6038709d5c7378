// DO NOT EDIT: written by dashboard/build.ts from routes/ and islands/.
// Checked in, so that main.ts imports every route and island statically.

import * as $routes__app from "./routes/_app.tsx";
import * as $routes_api_action_ from "./routes/api/[action].ts";
import * as $routes_events from "./routes/events.ts";
import * as $routes_index from "./routes/index.tsx";
import * as $islands_AuditLog from "./islands/AuditLog.tsx";
import * as $islands_Bb84Explainer from "./islands/Bb84Explainer.tsx";
import * as $islands_LinkCounters from "./islands/LinkCounters.tsx";
import * as $islands_LinkStatusBanner from "./islands/LinkStatusBanner.tsx";
import * as $islands_OperatorControls from "./islands/OperatorControls.tsx";
import * as $islands_QberChart from "./islands/QberChart.tsx";
import * as $islands_QberGauge from "./islands/QberGauge.tsx";
import * as $islands_RouterStatus from "./islands/RouterStatus.tsx";
import type { Manifest } from "./_fresh/server.ts";

/** Every route and island of the dashboard. */
const manifest = {
  routes: {
    "./routes/_app.tsx": $routes__app,
    "./routes/api/[action].ts": $routes_api_action_,
    "./routes/events.ts": $routes_events,
    "./routes/index.tsx": $routes_index,
  },
  islands: {
    "./islands/AuditLog.tsx": $islands_AuditLog,
    "./islands/Bb84Explainer.tsx": $islands_Bb84Explainer,
    "./islands/LinkCounters.tsx": $islands_LinkCounters,
    "./islands/LinkStatusBanner.tsx": $islands_LinkStatusBanner,
    "./islands/OperatorControls.tsx": $islands_OperatorControls,
    "./islands/QberChart.tsx": $islands_QberChart,
    "./islands/QberGauge.tsx": $islands_QberGauge,
    "./islands/RouterStatus.tsx": $islands_RouterStatus,
  },
  baseUrl: import.meta.url,
} satisfies Manifest;

export default manifest;
