import type { ComponentChildren } from "preact";

/**
 * A wide table's box: it scrolls sideways on a narrow screen, with shadows
 * at the edges that hide more columns and a visible cue saying so (shown by
 * the stylesheet on narrow screens only); focusable, so the keyboard can
 * scroll it too.
 *
 * @example
 * ```tsx
 * import { assertStringIncludes } from "@std/assert";
 * import { renderToString } from "preact-render-to-string";
 * import { TableScroll } from "./TableScroll.tsx";
 *
 * const html = renderToString(<TableScroll label="Incidents"><table /></TableScroll>);
 * assertStringIncludes(html, 'role="region" aria-label="Incidents (scrolls sideways)" tabindex="0"');
 * assertStringIncludes(html, "Swipe sideways for more columns");
 * ```
 */
export function TableScroll(
  props: {
    label: string;
    /** What the cue says is beyond the edge. Default "more columns". */
    more?: string;
    /** Classes of the scrolling box besides `table-scroll`. */
    class?: string;
    children: ComponentChildren;
  },
) {
  return (
    <div class="table-wrap">
      <p class="scroll-cue" aria-hidden="true">
        Swipe sideways for {props.more ?? "more columns"} →
      </p>
      <div
        class={`table-scroll ${props.class ?? ""}`}
        role="region"
        aria-label={`${props.label} (scrolls sideways)`}
        tabindex={0}
      >
        {props.children}
      </div>
    </div>
  );
}
