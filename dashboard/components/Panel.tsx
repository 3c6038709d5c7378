import type { ComponentChildren } from "preact";

/** Props of {@linkcode Panel}. */
export interface PanelProps {
  title: string;
  /** Extra class names for the grid placement. */
  class?: string;
  /** Short note beside the heading. */
  note?: string;
  children: ComponentChildren;
}

/**
 * A titled card of the SOC grid.
 *
 * @example
 * ```tsx
 * import { assertEquals } from "@std/assert";
 * import { renderToString } from "preact-render-to-string";
 * import { Panel } from "./Panel.tsx";
 *
 * assertEquals(
 *   renderToString(<Panel title="Router guard" class="span-3"><p>up</p></Panel>),
 *   '<section class="panel span-3" aria-labelledby="panel-router-guard">' +
 *     '<header class="panel-head"><h2 id="panel-router-guard">Router guard</h2></header>' +
 *     "<p>up</p></section>",
 * );
 * ```
 */
export function Panel(props: PanelProps) {
  const id = `panel-${props.title.toLowerCase().replace(/\W+/g, "-")}`;
  return (
    <section
      class={`panel ${props.class ?? ""}`.trim()}
      aria-labelledby={id}
    >
      <header class="panel-head">
        <h2 id={id}>{props.title}</h2>
        {props.note && <span class="panel-note">{props.note}</span>}
      </header>
      {props.children}
    </section>
  );
}
