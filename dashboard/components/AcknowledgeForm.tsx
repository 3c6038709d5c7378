/// <reference lib="dom" />
import { useState } from "preact/hooks";
import { CSRF_FIELD, CSRF_HEADER } from "../operator_auth.ts";

/** Props of {@linkcode AcknowledgeForm}. */
export interface AcknowledgeFormProps {
  /** The incident to acknowledge. */
  incidentId: number;
  /** The session's CSRF token. */
  csrf: string;
  /** `data-testid` of the button. */
  testId?: string;
}

/**
 * "Acknowledge" for one incident: a plain form posting to
 * `/api/acknowledge` (with the session's CSRF token), which the dashboard
 * forwards to the KMS with its operator credential, and the KMS audits as
 * `[ALERT_ACKNOWLEDGED] incident=N by=OPERATOR`. With scripts it posts in
 * place and says how it went.
 *
 * @example
 * ```tsx
 * import { assertStringIncludes } from "@std/assert";
 * import { renderToString } from "preact-render-to-string";
 * import { AcknowledgeForm } from "./AcknowledgeForm.tsx";
 *
 * const html = renderToString(<AcknowledgeForm incidentId={3} csrf="c5rf" />);
 * assertStringIncludes(html, '<input type="hidden" name="incident_id" value="3">');
 * assertStringIncludes(html, "Acknowledge incident #3");
 * ```
 */
export function AcknowledgeForm(props: AcknowledgeFormProps) {
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(event: SubmitEvent) {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    setBusy(true);
    try {
      const response = await fetch(form.action, {
        method: "POST",
        headers: {
          accept: "application/json",
          [CSRF_HEADER]: String(data.get(CSRF_FIELD) ?? ""),
        },
        body: new URLSearchParams({
          incident_id: String(props.incidentId),
        }),
      });
      const body = await response.json().catch(() => ({}));
      setMessage(
        response.ok
          ? `Acknowledged by ${body.acknowledged_by ?? "you"}`
          : `Not acknowledged: ${body.message ?? response.status}`,
      );
    } catch {
      setMessage("Not acknowledged: the dashboard server is unreachable");
    } finally {
      setBusy(false);
    }
  }
  return (
    <form
      class="ack-form"
      method="post"
      action="/api/acknowledge"
      onSubmit={submit}
    >
      <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
      <input type="hidden" name="incident_id" value={props.incidentId} />
      <button
        class="btn btn-ack btn-small"
        type="submit"
        disabled={busy}
        data-testid={props.testId ?? `acknowledge-${props.incidentId}`}
      >
        Acknowledge incident #{props.incidentId}
      </button>
      {message && <span class="ack-result" role="status">{message}</span>}
    </form>
  );
}
