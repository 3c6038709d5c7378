import { AcknowledgeForm } from "../components/AcknowledgeForm.tsx";
import { TableScroll } from "../components/TableScroll.tsx";
import { percent, zuluTime } from "../format.ts";
import { useLive } from "../live.ts";
import type { Incident } from "../../protocol/incident.ts";

function utc(ms: number | null): string {
  return ms === null ? "" : zuluTime(new Date(ms).toISOString());
}

function devices(incident: Incident): string {
  return incident.affected_devices.length === 0
    ? "none"
    : incident.affected_devices.join(", ");
}

/**
 * The link's incidents, newest first: when each opened (the link turned
 * RED) and closed (a reset), its peak QBER, RED blocks, refused key requests
 * and the devices refused, who reset it and who acknowledged it, with an
 * Acknowledge button for those nobody has.
 *
 * @example
 * ```tsx
 * import { assertStringIncludes } from "@std/assert";
 * import { renderToString } from "preact-render-to-string";
 * import IncidentList from "./IncidentList.tsx";
 *
 * const incident = {
 *   id: 1, opened_at: Date.parse("2026-02-23T18:02:00Z"), closed_at: Date.parse("2026-02-23T18:04:10Z"),
 *   peak_qber: 0.262, first_qber: 0.25, blocks: 12, key_refusals: 34,
 *   affected_devices: ["Soldier_Alpha", "Soldier_Bravo"], closed_by: "Operator",
 *   acknowledged_by: null, acknowledged_at: null, epoch: 1,
 * };
 * const html = renderToString(<IncidentList initial={[incident]} csrf="c" />);
 * assertStringIncludes(html, '<td data-label="Peak QBER">26.2%</td>');
 * assertStringIncludes(html, "18:02:00Z");
 * assertStringIncludes(html, "Soldier_Alpha, Soldier_Bravo");
 * assertStringIncludes(html, "Acknowledge incident #1");
 * ```
 */
export default function IncidentList(
  props: { initial: Incident[]; csrf: string },
) {
  const incidents = useLive(props.initial, (state) => state.incidents.recent);
  if (incidents.length === 0) {
    return (
      <p class="empty" data-testid="incident-list" data-count="0">
        No incidents: the link has not turned RED.
      </p>
    );
  }
  return (
    <div data-testid="incident-list" data-count={incidents.length}>
      <TableScroll label="Incidents">
        <table class="incidents">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Start (UTC)</th>
              <th scope="col">End (UTC)</th>
              <th scope="col">Peak QBER</th>
              <th scope="col">RED blocks</th>
              <th scope="col">Key refusals</th>
              <th scope="col">Devices refused</th>
              <th scope="col">Closed by</th>
              <th scope="col">Acknowledged by</th>
            </tr>
          </thead>
          <tbody>
            {incidents.map((incident) => (
              <tr
                key={incident.id}
                data-incident={incident.id}
                data-open={incident.closed_at === null}
                class={incident.closed_at === null ? "incident-open" : ""}
              >
                <th scope="row">{incident.id}</th>
                <td data-label="Start">{utc(incident.opened_at)}</td>
                <td data-label="End">
                  {incident.closed_at === null
                    ? <strong class="fact-alert">open</strong>
                    : utc(incident.closed_at)}
                </td>
                <td data-label="Peak QBER">{percent(incident.peak_qber)}</td>
                <td data-label="RED blocks">{incident.blocks}</td>
                <td data-label="Key refusals">{incident.key_refusals}</td>
                <td data-label="Devices">{devices(incident)}</td>
                <td data-label="Closed by">{incident.closed_by ?? ""}</td>
                <td data-label="Acknowledged by">
                  {incident.acknowledged_by === null
                    ? (
                      <AcknowledgeForm
                        incidentId={incident.id}
                        csrf={props.csrf}
                      />
                    )
                    : `${incident.acknowledged_by} at ${
                      utc(incident.acknowledged_at)
                    }`}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
    </div>
  );
}
