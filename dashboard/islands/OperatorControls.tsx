/// <reference lib="dom" />
import { useRef, useState } from "preact/hooks";
import { useLive } from "../live.ts";
import type { KmsConnection } from "../soc_state.ts";
import type { ActionResult } from "../kms_monitor.ts";

/**
 * Force Attack (behind a confirmation) and Reset System. Plain forms that
 * post to the dashboard, which forwards to the KMS; with scripts the island
 * posts them in place and shows the outcome.
 *
 * @example
 * ```tsx
 * import { assertStringIncludes } from "@std/assert";
 * import { renderToString } from "preact-render-to-string";
 * import OperatorControls from "./OperatorControls.tsx";
 *
 * const html = renderToString(<OperatorControls initial="unreachable" />);
 * assertStringIncludes(html, 'data-testid="reset" disabled');
 * assertStringIncludes(html, "Controls wait for the KMS.");
 * ```
 */
export default function OperatorControls(props: { initial: KmsConnection }) {
  const kms = useLive(props.initial, (state) => state.kms);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ActionResult | null>(null);
  const confirm = useRef<HTMLDetailsElement>(null);
  const offline = kms !== "live";

  async function submit(event: SubmitEvent) {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    setBusy(true);
    setResult(null);
    try {
      const response = await fetch(form.action, {
        method: "POST",
        headers: { accept: "application/json" },
      });
      setResult(await response.json());
    } catch {
      setResult({ ok: false, message: "The dashboard server is unreachable" });
    } finally {
      setBusy(false);
      if (confirm.current) confirm.current.open = false;
    }
  }

  return (
    <div class="controls">
      <details class="confirm" ref={confirm}>
        <summary
          class="btn btn-danger"
          data-testid="force-attack"
          aria-disabled={offline || busy}
        >
          Force Attack…
        </summary>
        <div class="confirm-box">
          <p>
            Put the simulated eavesdropper on the quantum channel? The QBER
            jumps to about 25%, the link goes RED, the KMS refuses keys and the
            router guard blocks chat until someone resets.
          </p>
          <form method="post" action="/api/force_attack" onSubmit={submit}>
            <button
              class="btn btn-danger"
              type="submit"
              data-testid="confirm-attack"
              disabled={offline || busy}
            >
              Confirm Force Attack
            </button>
            <button
              class="btn btn-quiet"
              type="button"
              onClick={() => confirm.current && (confirm.current.open = false)}
            >
              Cancel
            </button>
          </form>
        </div>
      </details>
      <form method="post" action="/api/reset" onSubmit={submit}>
        <button
          class="btn btn-reset"
          type="submit"
          data-testid="reset"
          disabled={offline || busy}
        >
          Reset System
        </button>
      </form>
      <p class="controls-hint">
        Reset turns attack mode off, clears the QBER history and returns the
        link to GREEN.
      </p>
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
