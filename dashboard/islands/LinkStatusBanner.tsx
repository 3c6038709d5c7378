import { StatusMark } from "../components/StatusMark.tsx";
import { percent, wholePercent } from "../format.ts";
import { useLive, useStreamOpen } from "../live.ts";
import { type BannerView, bannerView } from "../soc_views.ts";
import { RED_THRESHOLD, YELLOW_THRESHOLD } from "../../protocol/link_policy.ts";
import type { LinkStatus } from "../../protocol/types.ts";

const YELLOW = wholePercent(YELLOW_THRESHOLD);
const RED = wholePercent(RED_THRESHOLD);
const MEANING: Record<LinkStatus, string> = {
  GREEN: `Secure: rolling QBER below ${YELLOW}. Keys are issued.`,
  YELLOW:
    `Elevated QBER (${YELLOW}–${RED}): keys are still issued; watch the channel.`,
  RED:
    `Eavesdropper detected: rolling QBER at or above ${RED}. Keys are refused until an operator resets.`,
};

/**
 * The link status, large, in colour, shape and words; or why it is not known.
 * The status and its meaning are an assertive live region (`role="alert"`):
 * a screen reader says RED at once. The figures and the router guard's
 * sentence (the router panel's own, from `guardSentence`) sit outside it,
 * since they change with every block and poll.
 *
 * @example
 * ```tsx
 * import { assertStringIncludes } from "@std/assert";
 * import { renderToString } from "preact-render-to-string";
 * import LinkStatusBanner from "./LinkStatusBanner.tsx";
 *
 * const view = {
 *   kms: "live",
 *   status: "RED",
 *   rollingQber: 0.2,
 *   attackMode: true,
 *   guard: "The router guard blocks chat: it last polled the KMS 2 s ago (05:00:00Z).",
 * } as const;
 * const html = renderToString(<LinkStatusBanner initial={view} />);
 * assertStringIncludes(html, 'data-status="RED"');
 * assertStringIncludes(html, "rolling QBER at or above 11%");
 * assertStringIncludes(html, "ON (attack mode)");
 * assertStringIncludes(html, 'role="alert"');
 * assertStringIncludes(html, "The router guard blocks chat");
 * ```
 */
export default function LinkStatusBanner(props: { initial: BannerView }) {
  const view = useLive(props.initial, bannerView);
  const streamOpen = useStreamOpen();
  const { kms, status } = view;
  const shown = !streamOpen
    ? "disconnected"
    : kms !== "live"
    ? kms
    : status ?? "connecting";
  let headline;
  let detail: string;
  if (!streamOpen) {
    headline = <span class="mark mark-none">✕ Dashboard connection lost</span>;
    detail = "Reconnecting to the dashboard server…";
  } else if (kms === "connecting") {
    headline = <span class="mark mark-none">Connecting to the KMS…</span>;
    detail = "Waiting for the KMS event stream.";
  } else if (kms === "unreachable") {
    headline = <span class="mark mark-none">✕ KMS unreachable</span>;
    detail = `Last known link status: ${
      status ?? "none"
    } (stale). Retrying every second; the view recovers by itself.`;
  } else {
    headline = <StatusMark status={status} prefix="LINK" />;
    detail = status ? MEANING[status] : "";
  }
  return (
    <div
      class={`banner banner-${
        status && shown === status ? status.toLowerCase() : "offline"
      }`}
      data-testid="link-status"
      data-status={shown}
    >
      <div class="banner-main">
        <div role="alert" aria-atomic="true">
          <p class="banner-headline">{headline}</p>
          <p class="banner-detail">{detail}</p>
        </div>
        {kms === "live" && streamOpen && (
          <p class="banner-guard" data-testid="banner-guard">{view.guard}</p>
        )}
      </div>
      <dl class="banner-facts">
        <div>
          <dt>Rolling QBER</dt>
          <dd>{percent(view.rollingQber)}</dd>
        </div>
        <div>
          <dt>Eavesdropper simulation</dt>
          <dd class={view.attackMode ? "fact-alert" : ""}>
            {view.attackMode ? "ON (attack mode)" : "off"}
          </dd>
        </div>
      </dl>
    </div>
  );
}
