import type { Row } from "../link_views.ts";

/**
 * Labelled figures as a description list, one row each.
 *
 * @example
 * ```tsx
 * import { assertEquals } from "@std/assert";
 * import { renderToString } from "preact-render-to-string";
 * import { RowList } from "./RowList.tsx";
 *
 * assertEquals(
 *   renderToString(<RowList rows={[{ label: "Fibre length", value: "25 km" }]} testId="x" />),
 *   '<dl class="rows" data-testid="x"><div><dt>Fibre length</dt><dd>25 km</dd></div></dl>',
 * );
 * ```
 */
export function RowList(props: { rows: Row[]; testId?: string }) {
  return (
    <dl class="rows" data-testid={props.testId}>
      {props.rows.map((row) => (
        <div>
          <dt>{row.label}</dt>
          <dd>{row.value}</dd>
        </div>
      ))}
    </dl>
  );
}
