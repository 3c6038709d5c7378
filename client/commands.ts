/**
 * What a typed line asks for: a chat line or one of the slash commands.
 *
 * @module
 */

/** A typed line, understood. */
export type Command =
  | {
    /** Send `text` to the peer. */
    kind: "text";
    /** The line. */
    text: string;
  }
  | {
    /** Nothing to do (an empty line). */
    kind: "none";
  }
  | {
    /** `/help`, `/quit`, `/status`, `/rekey`. */
    kind: "help" | "quit" | "status" | "rekey";
  }
  | {
    /** `/peer NAME`. */
    kind: "peer";
    /** The new peer. */
    name: string;
  }
  | {
    /** `/file PATH`. */
    kind: "file";
    /** The file, as typed. */
    path: string;
  }
  | {
    /** A command used wrongly or unknown. */
    kind: "invalid";
    /** What to tell the user. */
    message: string;
  };

const BARE = new Set(["help", "quit", "status", "rekey"]);

/**
 * Understands a typed line. A line starting with `/` is a command; `//`
 * escapes a line that should start with `/`.
 *
 * @example
 * ```ts
 * import { parseCommand } from "./commands.ts";
 * console.log(parseCommand("/file report.pdf")); // { kind: "file", path: "report.pdf" }
 * console.log(parseCommand("//shrug")); // { kind: "text", text: "/shrug" }
 * ```
 */
export function parseCommand(line: string): Command {
  if (line.trim() === "") return { kind: "none" };
  if (line.startsWith("//")) return { kind: "text", text: line.slice(1) };
  if (!line.startsWith("/")) return { kind: "text", text: line };
  const trimmed = line.trim();
  const space = trimmed.search(/\s/);
  const name = (space < 0 ? trimmed.slice(1) : trimmed.slice(1, space))
    .toLowerCase();
  const argument = space < 0 ? "" : trimmed.slice(space).trim();
  if (BARE.has(name)) {
    if (argument !== "") {
      return { kind: "invalid", message: `/${name} takes no argument` };
    }
    return { kind: name as "help" | "quit" | "status" | "rekey" };
  }
  if (name === "peer" || name === "file") {
    if (argument === "") {
      return {
        kind: "invalid",
        message: `usage: /${name} ${name === "peer" ? "NAME" : "PATH"}`,
      };
    }
    return name === "peer"
      ? { kind: "peer", name: argument }
      : { kind: "file", path: argument };
  }
  return {
    kind: "invalid",
    message:
      `unknown command /${name} (type /help; // sends a line starting with /)`,
  };
}
