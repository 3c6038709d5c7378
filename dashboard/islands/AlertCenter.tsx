/// <reference lib="dom" />
import { useEffect, useRef, useState } from "preact/hooks";
import { AcknowledgeForm } from "../components/AcknowledgeForm.tsx";
import { percent } from "../format.ts";
import { useLive } from "../live.ts";
import { type AlertView, alertView } from "../soc_views.ts";

/** The document's title at rest and the favicons, as `routes/_app.tsx` sets them. */
export const QUIET_TITLE = "QSTCS · Security Operations";
const QUIET_ICON = "/favicon.svg";
const ALERT_ICON = "/favicon-red.svg";
const SOUND_KEY = "qstcs-alert-sound";

/** The tab's title for `view`: RED and the open incident first, so it shows in a crowded tab bar. */
export function alertTitle(view: AlertView): string {
  if (view.status !== "RED") return QUIET_TITLE;
  return `● RED${
    view.open ? ` · incident #${view.open.id}` : ""
  } · ${QUIET_TITLE}`;
}

// Two short tones; only after the operator switched sound on (browsers allow
// audio only after a click on the page, which the switch is).
function beep(): void {
  const audio = new AudioContext();
  for (const start of [0, 0.35]) {
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = 880;
    gain.gain.value = 0.15;
    tone.connect(gain).connect(audio.destination);
    tone.start(audio.currentTime + start);
    tone.stop(audio.currentTime + start + 0.2);
  }
}

function setIcon(href: string): void {
  const link = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
  if (link && !link.href.endsWith(href)) link.href = href;
}

function notificationState(): NotificationPermission | "unsupported" {
  return typeof Notification === "undefined"
    ? "unsupported"
    : Notification.permission;
}

/**
 * Alerting on RED: the tab's title and icon change (and change back on
 * GREEN), an optional sound (off until the operator switches it on), a
 * browser notification once the operator allowed them, and Acknowledge for
 * the open incident.
 *
 * @example
 * ```tsx
 * import { assertStringIncludes } from "@std/assert";
 * import { renderToString } from "preact-render-to-string";
 * import AlertCenter, { alertTitle } from "./AlertCenter.tsx";
 *
 * const open = {
 *   id: 4, opened_at: 0, closed_at: null, peak_qber: 0.26, first_qber: 0.25, blocks: 3,
 *   key_refusals: 2, affected_devices: [], closed_by: null, acknowledged_by: null,
 *   acknowledged_at: null, epoch: 1,
 * };
 * const html = renderToString(<AlertCenter initial={{ status: "RED", open }} csrf="c" />);
 * assertStringIncludes(html, "Acknowledge incident #4");
 * assertStringIncludes(html, "Sound on RED");
 * assertStringIncludes(alertTitle({ status: "RED", open }), "● RED · incident #4");
 * ```
 */
export default function AlertCenter(
  props: { initial: AlertView; csrf: string },
) {
  const view = useLive(props.initial, alertView);
  const [sound, setSound] = useState(false);
  const [permission, setPermission] = useState<
    NotificationPermission | "unsupported"
  >("default");
  const previous = useRef(props.initial.status);

  useEffect(() => {
    setSound(localStorage.getItem(SOUND_KEY) === "on");
    setPermission(notificationState());
  }, []);

  useEffect(() => {
    document.title = alertTitle(view);
    setIcon(view.status === "RED" ? ALERT_ICON : QUIET_ICON);
    const turnedRed = view.status === "RED" && previous.current !== "RED";
    previous.current = view.status;
    if (!turnedRed) return;
    if (sound) beep();
    if (notificationState() === "granted") {
      new Notification("QSTCS: link RED", {
        body: `Eavesdropper suspected${
          view.open
            ? `: incident #${view.open.id}, QBER ${
              percent(view.open.peak_qber)
            }`
            : ""
        }. Keys are refused.`,
        tag: "qstcs-link",
      });
    }
  }, [view.status, view.open?.id]);

  function toggleSound(on: boolean) {
    setSound(on);
    localStorage.setItem(SOUND_KEY, on ? "on" : "off");
  }

  async function allowNotifications() {
    if (typeof Notification === "undefined") return;
    setPermission(await Notification.requestPermission());
  }

  const { open } = view;
  return (
    <div class="alert-center" data-testid="alert-center">
      {open && (
        <p class="alert-incident">
          <strong>Incident #{open.id} open</strong> (peak{" "}
          {percent(open.peak_qber)}, {open.key_refusals} key refusals)
          {open.acknowledged_by === null
            ? (
              <AcknowledgeForm
                incidentId={open.id}
                csrf={props.csrf}
                testId="acknowledge-open"
              />
            )
            : <span>· acknowledged by {open.acknowledged_by}</span>}
        </p>
      )}
      <label class="switch">
        <input
          type="checkbox"
          checked={sound}
          onChange={(event) => toggleSound(event.currentTarget.checked)}
          data-testid="alert-sound"
        />
        Sound on RED
      </label>
      {permission === "default" && (
        <button
          type="button"
          class="btn btn-quiet btn-small"
          onClick={allowNotifications}
          data-testid="allow-notifications"
        >
          Allow notifications
        </button>
      )}
      {permission === "granted" && (
        <span class="alert-note">Notifications on RED: on</span>
      )}
      {permission === "denied" && (
        <span class="alert-note">
          Notifications blocked in this browser's settings
        </span>
      )}
    </div>
  );
}
