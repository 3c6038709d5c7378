/**
 * The contract between the server render and the browser hydration: how an
 * island is marked in the HTML and where its props travel. Browser-safe.
 *
 * @module
 */

/**
 * Element wrapping each server-rendered island (styled `display: contents`,
 * so it adds no box). Its `data-island` attribute indexes
 * {@linkcode ISLAND_DATA_ID}'s list.
 */
export const ISLAND_ELEMENT = "island-root";

/** Id of the `<script type="application/json">` holding every island's name and props. */
export const ISLAND_DATA_ID = "__islands";

/** URL path of the built island bundles (dashboard/static/islands/). */
export const ISLANDS_PATH = "/islands/";

/** Name of the hydration runtime's bundle under {@linkcode ISLANDS_PATH}. */
export const CLIENT_BUNDLE = "_client.js";

/** One island on a page: which component, with which props. */
export interface IslandRecord {
  /** File name of the island without extension, e.g. `QberChart`. */
  name: string;
  /** Its props, as JSON. */
  props: Record<string, unknown>;
}

/**
 * The island list as the text of a JSON script element: `<` is escaped, so
 * no prop value can close the element.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { serializeIslands } from "./markup.ts";
 *
 * const text = serializeIslands([{ name: "A", props: { s: "</script>" } }]);
 * assertEquals(text, '[{"name":"A","props":{"s":"\\u003c/script>"}}]');
 * assertEquals(JSON.parse(text)[0].props.s, "</script>");
 * ```
 */
export function serializeIslands(islands: IslandRecord[]): string {
  return JSON.stringify(islands).replaceAll("<", "\\u003c");
}
