/// <reference lib="dom" />
/**
 * The browser half of the islands: finds each server-rendered island, loads
 * its bundle and hydrates it with the props the server serialized. The build
 * writes `static/islands/_client.js` as a call of
 * {@linkcode hydrateIslands}; the page loads it as a module script.
 *
 * @module
 */

import { type ComponentType, h, hydrate } from "preact";
import { ISLAND_DATA_ID, ISLAND_ELEMENT, type IslandRecord } from "./markup.ts";

/**
 * Hydrates every island on the page; resolves when all are live.
 *
 * @example
 * ```ts ignore
 * // static/islands/_client.js, in the browser:
 * await hydrateIslands();
 * ```
 */
export async function hydrateIslands(): Promise<void> {
  const data = document.getElementById(ISLAND_DATA_ID)?.textContent;
  if (!data) return;
  const islands: IslandRecord[] = JSON.parse(data);
  const roots = document.querySelectorAll<HTMLElement>(
    `${ISLAND_ELEMENT}[data-island]`,
  );
  await Promise.all([...roots].map(async (root) => {
    const { name, props } = islands[Number(root.dataset.island)];
    // A URL in a variable, so the bundler leaves this import to the browser.
    const url = new URL(`./${name}.js`, import.meta.url).href;
    const module: { default: ComponentType } = await import(url);
    hydrate(h(module.default, props), root);
  }));
}
