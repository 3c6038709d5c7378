/// <reference lib="dom" />
import { TableScroll } from "../components/TableScroll.tsx";
import { count, withPrefix, zuluTime } from "../format.ts";
import { useLive } from "../live.ts";
import { usePolled } from "../poll.ts";
import { guardSentence, type RouterView, routerView } from "../soc_views.ts";
import {
  parseRelayDeviceReport,
  type RelayDeviceReport,
} from "../../protocol/relay_devices.ts";

const REFRESH_MS = 3_000;

function utc(ms: number): string {
  return zuluTime(new Date(ms).toISOString());
}

function drops(report: RelayDeviceReport): string {
  const entries = Object.entries(report.drops).filter(([, n]) => n > 0);
  return entries.length === 0
    ? "none"
    : entries.map(([reason, n]) => `${reason} ${count(n)}`).join(" · ");
}

/**
 * The whole network as the SOC sees it: the relay's registered devices
 * (connected since, frames and bytes queued for each, chat frames sent and
 * dropped), the relay's queues and drops by reason (the relay's
 * `GET /devices`, through this server with the relay's admin token), and
 * the router guard's last poll and state in the banner's own sentence.
 *
 * @example
 * ```tsx
 * import { assertStringIncludes } from "@std/assert";
 * import { renderToString } from "preact-render-to-string";
 * import NetworkView from "./NetworkView.tsx";
 *
 * const router = { guard: "never", chat: "ALLOWED", status: "GREEN", lastSeen: null, ageSeconds: null } as const;
 * const html = renderToString(<NetworkView initial={router} hasRelay={false} />);
 * assertStringIncludes(html, "No relay configured");
 * assertStringIncludes(html, "The router guard has not polled this KMS");
 * ```
 */
export default function NetworkView(
  props: { initial: RouterView; hasRelay: boolean },
) {
  const router = useLive(props.initial, routerView);
  const polled = usePolled(props.hasRelay ? "/api/devices" : null, {
    intervalMs: REFRESH_MS,
    parse: parseRelayDeviceReport,
  });
  const report = polled.data;
  return (
    <div
      class="network"
      data-testid="network-view"
      data-devices={report?.devices.length ?? ""}
    >
      <p class="network-guard">
        <strong>Router guard:</strong> {guardSentence(router)}
      </p>
      {!props.hasRelay && (
        <p class="empty">
          No relay configured: start the dashboard with --relay URL and
          --relay-token-file FILE to see its devices.
        </p>
      )}
      {props.hasRelay && polled.error && (
        <p class="result-error" role="status">
          Relay: {polled.error}
          {report ? " (showing the last answer)" : ""}
        </p>
      )}
      {props.hasRelay && !report && !polled.error && (
        <p class="empty">Asking the relay…</p>
      )}
      {report && (
        <>
          <p class="network-totals" data-testid="relay-totals">
            {report.devices.length}{" "}
            device{report.devices.length === 1 ? "" : "s"} online ·{" "}
            {count(report.queued_frames)} frames queued (
            {withPrefix(report.queued_bytes, "B")}) · drops: {drops(report)}
          </p>
          {report.devices.length > 0 && (
            <TableScroll label="Relay devices">
              <table class="devices">
                <thead>
                  <tr>
                    <th scope="col">Device</th>
                    <th scope="col">Connected since (UTC)</th>
                    <th scope="col">Queued frames</th>
                    <th scope="col">Queued bytes</th>
                    <th scope="col">Sent</th>
                    <th scope="col">Dropped</th>
                  </tr>
                </thead>
                <tbody>
                  {report.devices.map((device) => (
                    <tr key={device.device_id} data-device={device.device_id}>
                      <th scope="row">{device.device_id}</th>
                      <td>{utc(device.connected_since)}</td>
                      <td data-testid="queued-frames">
                        {count(device.queued_frames)}
                      </td>
                      <td>{withPrefix(device.queued_bytes, "B")}</td>
                      <td>{count(device.sent)}</td>
                      <td>{count(device.dropped)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
          )}
        </>
      )}
    </div>
  );
}
