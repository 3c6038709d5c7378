import type { LinkStatus } from "../../protocol/types.ts";

// A shape per status as well as a colour, so the status never rests on
// colour alone.
const SHAPES: Record<LinkStatus, string> = {
  GREEN: "●",
  YELLOW: "▲",
  RED: "■",
};

/** Props of {@linkcode StatusMark}. */
export interface StatusMarkProps {
  /** The status; `null` shows a neutral dash. */
  status: LinkStatus | null;
  /** Words after the status, e.g. "link". */
  prefix?: string;
}

/**
 * A link status in colour, shape and word: `● GREEN`.
 *
 * @example
 * ```tsx
 * import { assertEquals } from "@std/assert";
 * import { renderToString } from "preact-render-to-string";
 * import { StatusMark } from "./StatusMark.tsx";
 *
 * assertEquals(
 *   renderToString(<StatusMark status="RED" prefix="LINK" />),
 *   '<span class="mark mark-red"><span class="mark-shape" aria-hidden="true">■</span>LINK RED</span>',
 * );
 * assertEquals(
 *   renderToString(<StatusMark status={null} />),
 *   '<span class="mark mark-none">— unknown</span>',
 * );
 * ```
 */
export function StatusMark({ status, prefix }: StatusMarkProps) {
  if (status === null) return <span class="mark mark-none">— unknown</span>;
  return (
    <span class={`mark mark-${status.toLowerCase()}`}>
      <span class="mark-shape" aria-hidden="true">{SHAPES[status]}</span>
      {prefix ? `${prefix} ${status}` : status}
    </span>
  );
}
