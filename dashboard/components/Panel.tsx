import type { ComponentChildren } from "preact";

/** Props of {@linkcode Panel}. */
export interface PanelProps {
  /** Heading. */
  title: string;
  /** Extra class names for the grid placement. */
  class?: string;
  /** Short note beside the heading. */
  note?: string;
  /** Panel body. */
  children: ComponentChildren;
}

/**
 * A titled card of the SOC grid.
 *
 * @example
 * ```tsx ignore
 * <Panel title="QBER" class="span-3"><QberGauge initial={view} /></Panel>
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
