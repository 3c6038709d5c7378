/**
 * A status line of the client: its text and its colour on a terminal.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { warn } from "./status_line.ts";
 * assertEquals(warn("⚠ careful"), { tone: "warn", text: "⚠ careful" });
 * ```
 *
 * @module
 */

import type { Tone } from "./terminal.ts";

/** A status line. */
export interface Line {
  /** Colour. */
  tone: Tone;
  /** Text. */
  text: string;
}

const toned = (tone: Tone) => (text: string): Line => ({ tone, text });
/** A line of good news. */
export const ok: (text: string) => Line = toned("ok");
/** A plain line. */
export const info: (text: string) => Line = toned("info");
/** A warning. */
export const warn: (text: string) => Line = toned("warn");
/** An alarm. */
export const alert: (text: string) => Line = toned("alert");
