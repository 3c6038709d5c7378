/**
 * Renders a page to HTML and prepares its islands for the browser: while
 * {@linkcode renderPage} runs, and only then, a Preact `options.vnode` hook
 * spots the island components (by identity), wraps each in
 * `<island-root data-island="N">` and collects its props. The page gets the
 * props as one JSON script, a `modulepreload` per island and the hydration
 * runtime (`client.ts`).
 *
 * @module
 */

import { type ComponentType, h, options, type VNode } from "preact";
import { renderToString } from "preact-render-to-string";
import {
  CLIENT_BUNDLE,
  ISLAND_DATA_ID,
  ISLAND_ELEMENT,
  type IslandRecord,
  ISLANDS_PATH,
  serializeIslands,
} from "./markup.ts";

/**
 * `<!DOCTYPE html>` and the `Document` component rendered, with the
 * islands' bootstrap before `</body>`. `islands` maps each island component
 * to its name (its bundle is `/islands/NAME.js`). Islands are spotted as the
 * render creates them, so they must be created by components, not passed in
 * ready-made. A page without islands gets no scripts.
 *
 * @example
 * ```tsx
 * import { assertEquals, assertStringIncludes } from "@std/assert";
 * import { renderPage } from "./render.ts";
 *
 * function Clock(props: { time: string }) {
 *   return <time>{props.time}</time>;
 * }
 * const islands = new Map([[Clock, "Clock"]]);
 *
 * const html = renderPage(() => <body><Clock time="05:00Z" /></body>, islands);
 * assertStringIncludes(html, '<island-root data-island="0"><time>05:00Z</time></island-root>');
 * assertStringIncludes(html, '[{"name":"Clock","props":{"time":"05:00Z"}}]');
 * assertEquals(
 *   renderPage(() => <body><p>plain</p></body>, islands),
 *   "<!DOCTYPE html><body><p>plain</p></body>",
 * );
 * ```
 */
export function renderPage(
  Document: ComponentType,
  islands: ReadonlyMap<unknown, string>,
): string {
  const found: IslandRecord[] = [];
  // Whether the next vnode is an island's own root, which is not wrapped again.
  let insideWrapper = false;
  const previousHook = options.vnode;
  options.vnode = (vnode: VNode) => {
    const name = insideWrapper ? undefined : islands.get(vnode.type);
    if (name !== undefined) {
      const island = vnode.type as ComponentType<Record<string, unknown>>;
      const props = vnode.props as Record<string, unknown>;
      if ("children" in props) {
        throw new TypeError(`island ${name} takes JSON props, not children`);
      }
      vnode.type = function IslandWrapper() {
        const id = found.push({ name, props }) - 1;
        insideWrapper = true;
        try {
          return h(
            ISLAND_ELEMENT,
            { "data-island": String(id) },
            h(island, props),
          );
        } finally {
          insideWrapper = false;
        }
      };
    }
    previousHook?.(vnode);
  };
  let html: string;
  try {
    // Synchronous, so no other render sees the hook.
    html = renderToString(h(Document, {}));
  } finally {
    options.vnode = previousHook;
  }
  if (found.length === 0) return `<!DOCTYPE html>${html}`;
  const names = [...new Set(found.map((island) => island.name))];
  const bootstrap = [
    ...names.map((name) =>
      `<link rel="modulepreload" href="${ISLANDS_PATH}${name}.js">`
    ),
    `<script id="${ISLAND_DATA_ID}" type="application/json">${
      serializeIslands(found)
    }</script>`,
    `<script type="module" src="${ISLANDS_PATH}${CLIENT_BUNDLE}"></script>`,
  ].join("");
  const end = html.lastIndexOf("</body>");
  const at = end === -1 ? html.length : end;
  return `<!DOCTYPE html>${html.slice(0, at)}${bootstrap}${html.slice(at)}`;
}
