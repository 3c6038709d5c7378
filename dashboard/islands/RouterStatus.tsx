import { zuluTime } from "../format.ts";
import { useLive } from "../live.ts";
import {
  ROUTER_ALIVE_SECONDS,
  type RouterView,
  routerView,
} from "../soc_views.ts";

function Enforcement({ chat }: { chat: RouterView["chat"] }) {
  const blocked = chat === "BLOCKED";
  return (
    <p class={`router-chat ${blocked ? "chat-blocked" : "chat-allowed"}`}>
      <span class="mark-shape" aria-hidden="true">{blocked ? "■" : "●"}</span>
      Chat {chat}
    </p>
  );
}

/**
 * What the router guard enforces now and when it last polled the KMS. The
 * guard blocks chat on RED and lifts the block only on GREEN.
 *
 * @example
 * ```tsx
 * import { assertStringIncludes } from "@std/assert";
 * import { renderToString } from "preact-render-to-string";
 * import RouterStatus from "./RouterStatus.tsx";
 *
 * const view = {
 *   guard: "alive",
 *   chat: "BLOCKED",
 *   status: "RED",
 *   lastSeen: "2026-02-23T05:00:00Z",
 *   ageSeconds: 2,
 * } as const;
 * const html = renderToString(<RouterStatus initial={view} />);
 * assertStringIncludes(html, "Chat BLOCKED");
 * assertStringIncludes(html, "last polled the KMS 2 s ago (05:00:00Z)");
 * ```
 */
export default function RouterStatus(props: { initial: RouterView }) {
  const view = useLive(props.initial, routerView);
  const polled = `last polled the KMS ${view.ageSeconds} s ago (${
    zuluTime(view.lastSeen)
  })`;
  return (
    <div class="router" data-testid="router-status" data-guard={view.guard}>
      {view.guard === "alive" && (
        <>
          <Enforcement chat={view.chat} />
          <p class="router-detail">Router guard alive: {polled}.</p>
        </>
      )}
      {view.guard === "silent" && (
        <>
          <p class="router-chat chat-unknown">Router guard silent</p>
          <p class="router-detail">
            No poll for over {ROUTER_ALIVE_SECONDS} s:{" "}
            {polled}. A stopped guard removes its rules, so nothing is enforced.
          </p>
        </>
      )}
      {view.guard === "never" && (
        <>
          <p class="router-chat chat-unknown">router guard not seen</p>
          <p class="router-detail">
            It has not polled this KMS since the KMS started.
          </p>
        </>
      )}
      {view.guard === "unknown" && (
        <>
          <p class="router-chat chat-unknown">Unknown</p>
          <p class="router-detail">
            The KMS is unreachable. A guard in FAIL_MODE=closed blocks chat
            after 3 failed polls.
          </p>
        </>
      )}
      <p class="router-rule">
        Rule: block on RED, lift only on GREEN (YELLOW keeps the current state).
      </p>
    </div>
  );
}
