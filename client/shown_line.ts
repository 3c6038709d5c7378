/**
 * A chat line shown: `[HH:MM:SS] sender> text` at the time it was written
 * (`[HH:MM:SS] [room] sender> text` for a room's), after a "Late" notice
 * when it was written before a line already shown.
 *
 * @module
 */

import type { ShownLine } from "./line_order.ts";
import type { ClientEvent } from "./messages.ts";
import type { Terminal } from "./terminal.ts";

/**
 * Shows chat lines on `terminal`, telling `say` of late ones.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { lineShower } from "./shown_line.ts";
 * const shown: string[] = [];
 * const show = lineShower(
 *   { message: (sender, text, options) => void shown.push(`${options?.room} ${sender}> ${text}`) },
 *   () => {},
 * );
 * show({ mid: "m", sender: "Soldier_Bravo", text: "Move out", writtenAt: 0, late: false }, "squad1");
 * assertEquals(shown, ["squad1 Soldier_Bravo> Move out"]);
 * ```
 */
export function lineShower(
  terminal: Pick<Terminal, "message">,
  say: (event: ClientEvent) => void,
): (line: ShownLine, room?: string) => void {
  return (line, room) => {
    if (line.late) {
      say({
        kind: "late_line",
        sender: line.sender,
        writtenAt: line.writtenAt,
      });
    }
    terminal.message(line.sender, line.text, {
      at: new Date(line.writtenAt),
      ...(room === undefined ? {} : { room }),
    });
  };
}
