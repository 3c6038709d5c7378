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
import { useEffect, useRef, useState } from "preact/hooks";
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

/** Equal values, or objects whose own fields are each the same value. */
function sameView(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (
    typeof a !== "object" || typeof b !== "object" || a === null ||
    b === null || Array.isArray(a) || Array.isArray(b)
  ) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length &&
    keys.every((key) =>
      Object.is(
        (a as Record<string, unknown>)[key],
        (b as Record<string, unknown>)[key],
      )
    );
}

/**
 * An island's view of the live state: `initial` (its server-rendered props)
 * until the stream delivers, then `select(state)`. The island renders again
 * only when its view changes (field by field), not on every event: a
 * continuous link sends many blocks a second, and an island that re-rendered
 * on each would, among other things, reset what its form fields hold.
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
  const selector = useRef(select);
  selector.current = select;
  const [view, setView] = useState<T>(() => {
    const state = socState.peek();
    return state ? select(state) : initial;
  });
  useEffect(() => {
    connect();
    // subscribe calls back at once with the current state, then on changes.
    return socState.subscribe((state) => {
      if (!state) return;
      const next = selector.current(state);
      setView((current) => sameView(current, next) ? current : next);
    });
  }, []);
  return view;
}

/**
 * Whether the page's stream to the dashboard server is open (EventSource
 * reconnects by itself when it is not).
 */
export function useStreamOpen(): boolean {
  return streamOpen.value;
}
