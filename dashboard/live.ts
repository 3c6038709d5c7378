/// <reference lib="dom" />
/**
 * The browser's one subscription to the dashboard's `/events`, shared by
 * every island on the page (the island bundles share this module through a
 * common chunk): a signal holding the {@linkcode SocState}, set from the
 * server's `snapshot` and folded with each `update`.
 *
 * @module
 */

import { signal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { reduceSoc, type SocEvent, type SocState } from "./soc_state.ts";

/** The live state; `null` until the stream's first snapshot. */
const socState = signal<SocState | null>(null);
/** Whether the stream to the dashboard server is open. */
const streamOpen = signal(true);
let source: EventSource | null = null;

function connect(): void {
  if (source) return;
  source = new EventSource("/events");
  source.addEventListener("open", () => streamOpen.value = true);
  source.addEventListener("error", () => streamOpen.value = false);
  source.addEventListener("snapshot", (message) => {
    socState.value = JSON.parse((message as MessageEvent<string>).data);
  });
  source.addEventListener("update", (message) => {
    if (!socState.value) return;
    const event: SocEvent = JSON.parse((message as MessageEvent<string>).data);
    socState.value = reduceSoc(socState.value, event);
  });
}

/**
 * An island's view of the live state: `initial` (its server-rendered props)
 * until the stream delivers, then `select(state)` on every change.
 *
 * @example
 * ```tsx
 * import { assertEquals } from "@std/assert";
 * import { renderToString } from "preact-render-to-string";
 * import { useLive } from "./live.ts";
 *
 * function Keys(props: { initial: number }) {
 *   return <b>{useLive(props.initial, (state) => state.keysIssued)}</b>;
 * }
 * // On the server, and in the browser until the stream delivers: the props.
 * assertEquals(renderToString(<Keys initial={3} />), "<b>3</b>");
 * ```
 */
export function useLive<T>(initial: T, select: (state: SocState) => T): T {
  useEffect(connect, []);
  const state = socState.value;
  return state ? select(state) : initial;
}

/**
 * Whether the page's stream to the dashboard server is open (EventSource
 * reconnects by itself when it is not).
 */
export function useStreamOpen(): boolean {
  return streamOpen.value;
}
