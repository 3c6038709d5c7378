/**
 * The slash commands as one table (name, argument, help text, handler),
 * from which typed lines are understood and `/help` and `--help` print the
 * command list.
 *
 * @module
 */

/** What the commands act on: the running client. */
export interface CommandHost {
  /** Prints the command list. */
  help(): void;
  /** Prints key, link, relay and outbox state. */
  status(): void;
  /** Fetches a fresh key and redoes the handshake. */
  rekey(): void;
  /** Talks to another device. */
  peer(name: string): void;
  /** Joins (or creates) a squad room: `NAME [CAPACITY]`. */
  join(argument: string): Promise<void>;
  /** Leaves a room ("" for the one talked in). */
  leave(name: string): Promise<void>;
  /** Lists this device's rooms. */
  rooms(): Promise<void>;
  /** Lists a room's members and who is online ("" for the one talked in). */
  who(name: string): void;
  /** Talks in a room or to a device, whichever `name` is. */
  to(name: string): void;
  /** Talks in a room. */
  room(name: string): void;
  /** Records a voice note of `seconds` ("" for the default) and sends it. */
  voice(seconds: string): Promise<void>;
  /** Plays the voice note received `n`th. */
  play(n: string): Promise<void>;
  /** Sends a file. */
  file(path: string): Promise<void>;
  /** Prints the safety number with a peer. */
  verify(peer: string): Promise<void>;
  /** Accepts a peer's changed identity key. */
  trust(peer: string): Promise<void>;
  /** Starts a multi-line message. */
  compose(): void;
  /** Prints the last `count` lines of the kept history ("" for 20). */
  history(count: string): void;
  /** Leaves. */
  quit(): void;
}

/** One slash command. */
export interface CommandSpec {
  /** Typed after the slash, in any case. */
  name: string;
  /** The argument's name in the help (`NAME`), if the command takes one. */
  argument?: string;
  /** The argument may be left out (`/history [N]`). */
  optional?: boolean;
  /** What the command does, one help line per entry. */
  help: string[];
  /** Carries the command out; `argument` is "" for one without. */
  run(host: CommandHost, argument: string): void | Promise<void>;
}

/** The commands, in the order `/help` lists them. */
export const COMMANDS: readonly CommandSpec[] = [
  { name: "help", help: ["the commands"], run: (host) => host.help() },
  {
    name: "status",
    help: ["key id, QBER, link status, relay state, unconfirmed messages"],
    run: (host) => host.status(),
  },
  {
    name: "rekey",
    help: ["fetch a fresh key from the KMS and redo the handshake"],
    run: (host) => host.rekey(),
  },
  {
    name: "peer",
    argument: "NAME",
    help: ["talk to another device (new key and handshake)"],
    run: (host, name) => host.peer(name),
  },
  {
    name: "join",
    argument: "NAME [N]",
    help: [
      "join squad room NAME and talk in it; a new room is created",
      "with N seats (2 to 16) and you lead it",
    ],
    run: (host, argument) => host.join(argument),
  },
  {
    name: "leave",
    argument: "NAME",
    optional: true,
    help: ["leave room NAME (default: the room you talk in)"],
    run: (host, name) => host.leave(name),
  },
  {
    name: "rooms",
    help: ["your rooms: epoch, members, who is online"],
    run: (host) => host.rooms(),
  },
  {
    name: "who",
    argument: "ROOM",
    optional: true,
    help: ["a room's members and who is online (default: this room)"],
    run: (host, name) => host.who(name),
  },
  {
    name: "to",
    argument: "NAME",
    help: [
      "talk in room NAME or to device NAME (a room of yours first);",
      "/room NAME and /peer NAME say which",
    ],
    run: (host, name) => host.to(name),
  },
  {
    name: "room",
    argument: "NAME",
    help: ["talk in room NAME (one of /rooms)"],
    run: (host, name) => host.room(name),
  },
  {
    name: "file",
    argument: "PATH",
    help: [
      "send a file under the working directory, encrypted,",
      "saved by the peer in downloads/<your id>/",
    ],
    run: (host, path) => host.file(path),
  },
  {
    name: "voice",
    argument: "SECONDS",
    optional: true,
    help: [
      "record a voice note (10 s) and send it, encrypted, to the",
      "peer or the room (recorder: --recorder, arecord, rec or sox)",
    ],
    run: (host, seconds) => host.voice(seconds),
  },
  {
    name: "play",
    argument: "N",
    help: ["play voice note N received (aplay or play), or say its file"],
    run: (host, n) => host.play(n),
  },
  {
    name: "verify",
    argument: "PEER",
    help: [
      "the safety number of your and PEER's identity keys:",
      "read it to PEER by voice; both must see the same digits",
    ],
    run: (host, peer) => host.verify(peer),
  },
  {
    name: "trust",
    argument: "PEER",
    help: ["accept PEER's changed identity key (after /verify)"],
    run: (host, peer) => host.trust(peer),
  },
  {
    name: "compose",
    help: ["a message of several lines; a line with only . sends it"],
    run: (host) => host.compose(),
  },
  {
    name: "history",
    argument: "N",
    optional: true,
    help: ["the last N lines of the history kept on this device (20)"],
    run: (host, count) => host.history(count),
  },
  {
    name: "quit",
    help: ["leave (unconfirmed messages are reported)"],
    run: (host) => host.quit(),
  },
];

const HELP_COLUMN = 19;

/**
 * The command list as `/help` and `--help` print it: a `Commands:` heading
 * and one entry per command, ending with the `//` escape.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { COMMANDS_HELP } from "./commands.ts";
 * const lines = COMMANDS_HELP.split("\n");
 * assertEquals(lines[0], "Commands:");
 * assertEquals(lines[1], "  /help              the commands");
 * assertEquals(lines.at(-1), '  //text             send a line that starts with "/"');
 * ```
 */
export const COMMANDS_HELP: string = [
  "Commands:",
  ...COMMANDS.flatMap((command) =>
    helpEntry(
      `/${command.name}${usageArgument(command)}`,
      command.help,
    )
  ),
  ...helpEntry("//text", ['send a line that starts with "/"']),
].join("\n");

function usageArgument(command: CommandSpec): string {
  if (command.argument === undefined) return "";
  return command.optional ? ` [${command.argument}]` : ` ${command.argument}`;
}

function helpEntry(usage: string, help: string[]): string[] {
  return help.map((line, index) =>
    `  ${(index === 0 ? usage : "").padEnd(HELP_COLUMN)}${line}`
  );
}

/** Why a typed command cannot run. */
export type CommandProblem =
  | {
    /** A command without argument was given one. */
    kind: "takes_no_argument";
    /** The command. */
    name: string;
  }
  | {
    /** A command with an argument was given none. */
    kind: "missing_argument";
    /** The command. */
    name: string;
    /** The argument's name, `NAME`. */
    argument: string;
  }
  | {
    /** No such command. */
    kind: "unknown_command";
    /** What was typed after the slash. */
    name: string;
  };

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
    /** A command from the table. */
    kind: "command";
    /** Which. */
    command: CommandSpec;
    /** Its argument, trimmed; "" for none. */
    argument: string;
  }
  | {
    /** A command used wrongly or unknown. */
    kind: "invalid";
    /** What is wrong. */
    problem: CommandProblem;
  };

/**
 * Understands a typed line. A line starting with `/` is a command; `//`
 * escapes a line that should start with `/`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseCommand } from "./commands.ts";
 * const file = parseCommand("/file report.pdf");
 * assertEquals(file.kind === "command" && file.command.name, "file");
 * assertEquals(file.kind === "command" && file.argument, "report.pdf");
 * assertEquals(parseCommand("//shrug"), { kind: "text", text: "/shrug" });
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
  const command = COMMANDS.find((command) => command.name === name);
  if (command === undefined) {
    return { kind: "invalid", problem: { kind: "unknown_command", name } };
  }
  if (command.argument === undefined && argument !== "") {
    return { kind: "invalid", problem: { kind: "takes_no_argument", name } };
  }
  if (command.argument !== undefined && !command.optional && argument === "") {
    return {
      kind: "invalid",
      problem: { kind: "missing_argument", name, argument: command.argument },
    };
  }
  return { kind: "command", command, argument };
}
