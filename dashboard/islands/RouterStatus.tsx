import { useLive } from "../live.ts";
import { guardSentence, type RouterView, routerView } from "../soc_views.ts";

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
 * What the router guard enforces now and when it last polled the KMS, in the
 * sentence the status banner uses too (`guardSentence`). The guard blocks
 * chat on RED and lifts the block only on GREEN.
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
  const headline = {
    alive: <Enforcement chat={view.chat} />,
    silent: <p class="router-chat chat-unknown">Router guard silent</p>,
    never: <p class="router-chat chat-unknown">router guard not seen</p>,
    unknown: <p class="router-chat chat-unknown">Unknown</p>,
  }[view.guard];
  return (
    <div class="router" data-testid="router-status" data-guard={view.guard}>
      {headline}
      <p class="router-detail" data-testid="router-sentence">
        {guardSentence(view)}
      </p>
      <p class="router-rule">
        Rule: block on RED, lift only on GREEN (YELLOW keeps the current state).
      </p>
    </div>
  );
}
