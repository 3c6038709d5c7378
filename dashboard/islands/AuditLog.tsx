import { zuluTime } from "../format.ts";
import { useLive } from "../live.ts";
import type { AuditEntry } from "../../protocol/kms_event.ts";

function tone(tag: string): string {
  if (/ATTACK|RED|EVE_ACTIVATED|FAIL|REFUSED/.test(tag)) return "alert";
  if (/YELLOW/.test(tag)) return "warn";
  if (/RESET|GREEN|EVE_DEACTIVATED/.test(tag)) return "info";
  if (/KEY|SESSION/.test(tag)) return "ok";
  return "plain";
}

/**
 * The KMS's audit entries, newest first: tag, details and time. The entries
 * carry key ids and figures, never key material.
 *
 * @example
 * ```tsx
 * import { assertStringIncludes } from "@std/assert";
 * import { renderToString } from "preact-render-to-string";
 * import AuditLog from "./AuditLog.tsx";
 *
 * const entry = { id: 1, tag: "ATTACK_DETECTED", message: "qber=0.250", at: "2026-02-23T05:02:03Z" };
 * const html = renderToString(<AuditLog initial={[entry]} />);
 * assertStringIncludes(html, '<td class="audit-time">05:02:03Z</td>');
 * assertStringIncludes(html, '<span class="tag tag-alert">ATTACK_DETECTED</span>');
 * ```
 */
export default function AuditLog(props: { initial: AuditEntry[] }) {
  const entries = useLive(props.initial, (state) => state.audit);
  if (entries.length === 0) {
    return <p class="empty">No audit entries yet.</p>;
  }
  return (
    <div
      class="audit"
      data-testid="audit-log"
      role="region"
      aria-label="Live audit entries (scrolls)"
      tabindex={0}
    >
      <table>
        <thead>
          <tr>
            <th scope="col">Time (UTC)</th>
            <th scope="col">Event</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {entries.toReversed().map((entry) => (
            <tr key={entry.id}>
              <td class="audit-time">{zuluTime(entry.at)}</td>
              <td>
                <span class={`tag tag-${tone(entry.tag)}`}>{entry.tag}</span>
              </td>
              <td class="audit-message">{entry.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
