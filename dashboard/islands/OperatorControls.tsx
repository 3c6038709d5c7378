/// <reference lib="dom" />
import type { ComponentChildren } from "preact";
import { useRef, useState } from "preact/hooks";
import { useLive } from "../live.ts";
import type { KmsConnection } from "../soc_state.ts";
import type { ActionResult } from "../kms_monitor.ts";
import { CSRF_FIELD, CSRF_HEADER } from "../operator_auth.ts";

interface ConfirmedActionProps {
  /** The endpoint, e.g. `/api/reset`. */
  action: string;
  /** `data-testid` of the opening button; the confirm button's is `confirm-…`. */
  testId: string;
  /** The opening button's words. */
  label: string;
  /** Class of both buttons (`btn-danger`, `btn-reset`). */
  tone: string;
  /** What happens, asked before it does. */
  children: ComponentChildren;
  csrf: string;
  disabled: boolean;
  onSubmit: (event: SubmitEvent, close: () => void) => void;
}

/** The two actions, each asking its question first. */
const ACTIONS = [
  {
    action: "/api/force_attack",
    testId: "force-attack",
    label: "Force Attack",
    tone: "btn-danger",
    children:
      "Put the simulated eavesdropper on the quantum channel? The QBER jumps to about 25%, the link goes RED, the KMS refuses keys and the router guard blocks chat until someone resets.",
  },
  {
    action: "/api/reset",
    testId: "reset",
    label: "Reset System",
    tone: "btn-reset",
    children:
      "Reset the link? Attack mode goes off, the link returns to GREEN and a new epoch of the chart starts; an open incident closes with your name, and its blocks stay in the history.",
  },
] as const;

/** A button that opens a question, and the form that confirms it. */
function ConfirmedAction(props: ConfirmedActionProps) {
  const box = useRef<HTMLDetailsElement>(null);
  const close = () => box.current && (box.current.open = false);
  return (
    <details class="confirm" ref={box}>
      <summary
        class={`btn ${props.tone}`}
        data-testid={props.testId}
        aria-disabled={props.disabled}
      >
        {props.label}…
      </summary>
      <div class="confirm-box">
        <p>{props.children}</p>
        <form
          method="post"
          action={props.action}
          onSubmit={(event) => props.onSubmit(event, close)}
        >
          <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
          <button
            class={`btn ${props.tone}`}
            type="submit"
            data-testid={`confirm-${props.testId}`}
            disabled={props.disabled}
          >
            Confirm {props.label}
          </button>
          <button class="btn btn-quiet" type="button" onClick={close}>
            Cancel
          </button>
        </form>
      </div>
    </details>
  );
}

/**
 * Force Attack and Reset System, each behind a confirmation. Plain forms
 * (with the session's CSRF token) that post to the dashboard, which forwards
 * to the KMS with its operator credential; with scripts the island posts them
 * in place, the token in a header, and shows the outcome.
 *
 * @example
 * ```tsx
 * import { assertStringIncludes } from "@std/assert";
 * import { renderToString } from "preact-render-to-string";
 * import OperatorControls from "./OperatorControls.tsx";
 *
 * const html = renderToString(<OperatorControls initial="unreachable" csrf="c5rf" />);
 * assertStringIncludes(html, 'data-testid="confirm-reset" disabled');
 * assertStringIncludes(html, '<input type="hidden" name="csrf" value="c5rf">');
 * assertStringIncludes(html, "Controls wait for the KMS.");
 * ```
 */
export default function OperatorControls(
  props: { initial: KmsConnection; csrf: string },
) {
  const kms = useLive(props.initial, (state) => state.kms);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ActionResult | null>(null);
  const offline = kms !== "live";

  async function submit(event: SubmitEvent, close: () => void) {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    // Read as the form holds it, so the page's token is the one checked.
    const csrf = new FormData(form).get(CSRF_FIELD);
    setBusy(true);
    setResult(null);
    try {
      const response = await fetch(form.action, {
        method: "POST",
        headers: {
          accept: "application/json",
          [CSRF_HEADER]: typeof csrf === "string" ? csrf : "",
        },
      });
      setResult(await response.json());
    } catch {
      setResult({ ok: false, message: "The dashboard server is unreachable" });
    } finally {
      setBusy(false);
      close();
    }
  }

  const disabled = offline || busy;
  return (
    <div class="controls">
      {ACTIONS.map((action) => (
        <ConfirmedAction
          key={action.testId}
          {...action}
          csrf={props.csrf}
          disabled={disabled}
          onSubmit={submit}
        />
      ))}
      <p
        class={`controls-result ${result && !result.ok ? "result-error" : ""}`}
        role="status"
        data-testid="action-result"
      >
        {busy ? "Sending to the KMS…" : result?.message ??
          (offline ? "Controls wait for the KMS." : "")}
      </p>
    </div>
  );
}
