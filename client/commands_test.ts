import { assertEquals } from "@std/assert";
import {
  type Command,
  type CommandHost,
  COMMANDS,
  COMMANDS_HELP,
  parseCommand,
} from "./commands.ts";

/** A parsed line without the table entry: `{ kind, name, argument }`. */
function understood(line: string): unknown {
  const command: Command = parseCommand(line);
  if (command.kind !== "command") return command;
  return {
    kind: "command",
    name: command.command.name,
    argument: command.argument,
  };
}

Deno.test("plain lines are text, blank lines nothing", () => {
  assertEquals(parseCommand("hello"), { kind: "text", text: "hello" });
  assertEquals(parseCommand("  "), { kind: "none" });
  assertEquals(parseCommand("//etc/hosts"), {
    kind: "text",
    text: "/etc/hosts",
  });
});

Deno.test("commands with and without arguments", () => {
  const bare = (name: string) => ({ kind: "command", name, argument: "" });
  assertEquals(understood("/quit"), bare("quit"));
  assertEquals(understood(" /STATUS "), { kind: "text", text: " /STATUS " });
  assertEquals(understood("/Status"), bare("status"));
  assertEquals(understood("/rekey"), bare("rekey"));
  assertEquals(understood("/help"), bare("help"));
  assertEquals(understood("/peer Soldier_Charlie"), {
    kind: "command",
    name: "peer",
    argument: "Soldier_Charlie",
  });
  assertEquals(understood("/file my report.pdf"), {
    kind: "command",
    name: "file",
    argument: "my report.pdf",
  });
});

Deno.test("misused and unknown commands say what is wrong", () => {
  assertEquals(parseCommand("/file"), {
    kind: "invalid",
    problem: { kind: "missing_argument", name: "file", argument: "PATH" },
  });
  assertEquals(parseCommand("/peer   "), {
    kind: "invalid",
    problem: { kind: "missing_argument", name: "peer", argument: "NAME" },
  });
  assertEquals(parseCommand("/quit now"), {
    kind: "invalid",
    problem: { kind: "takes_no_argument", name: "quit" },
  });
  assertEquals(parseCommand("/shrug"), {
    kind: "invalid",
    problem: { kind: "unknown_command", name: "shrug" },
  });
});

Deno.test("each command's handler calls its host method with the argument", async () => {
  const calls: string[] = [];
  const host: CommandHost = {
    help: () => calls.push("help"),
    status: () => calls.push("status"),
    rekey: () => calls.push("rekey"),
    peer: (name) => calls.push(`peer ${name}`),
    join: (argument) => {
      calls.push(`join ${argument}`);
      return Promise.resolve();
    },
    leave: (name) => {
      calls.push(`leave ${name}`);
      return Promise.resolve();
    },
    rooms: () => {
      calls.push("rooms");
      return Promise.resolve();
    },
    who: (name) => calls.push(`who ${name}`),
    to: (name) => calls.push(`to ${name}`),
    room: (name) => calls.push(`room ${name}`),
    file: (path) => {
      calls.push(`file ${path}`);
      return Promise.resolve();
    },
    voice: (seconds) => {
      calls.push(`voice ${seconds}`);
      return Promise.resolve();
    },
    play: (n) => {
      calls.push(`play ${n}`);
      return Promise.resolve();
    },
    verify: (peer) => {
      calls.push(`verify ${peer}`);
      return Promise.resolve();
    },
    trust: (peer) => {
      calls.push(`trust ${peer}`);
      return Promise.resolve();
    },
    compose: () => calls.push("compose"),
    history: (count) => calls.push(`history ${count}`),
    quit: () => calls.push("quit"),
  };
  for (const command of COMMANDS) await command.run(host, "x");
  assertEquals(calls, [
    "help",
    "status",
    "rekey",
    "peer x",
    "join x",
    "leave x",
    "rooms",
    "who x",
    "to x",
    "room x",
    "file x",
    "voice x",
    "play x",
    "verify x",
    "trust x",
    "compose",
    "history x",
    "quit",
  ]);
});

// /verify and /trust came with the authenticated handshake (issue 13), the
// room commands with squad rooms (issue 17).
Deno.test("the command list reads as it always has", () => {
  assertEquals(
    COMMANDS_HELP,
    `Commands:
  /help              the commands
  /status            key id, QBER, link status, relay state, unconfirmed messages
  /rekey             fetch a fresh key from the KMS and redo the handshake
  /peer NAME         talk to another device (new key and handshake)
  /join NAME [N]     join squad room NAME and talk in it; a new room is created
                     with N seats (2 to 16) and you lead it
  /leave [NAME]      leave room NAME (default: the room you talk in)
  /rooms             your rooms: epoch, members, who is online
  /who [ROOM]        a room's members and who is online (default: this room)
  /to NAME           talk in room NAME or to device NAME (a room of yours first);
                     /room NAME and /peer NAME say which
  /room NAME         talk in room NAME (one of /rooms)
  /file PATH         send a file under the working directory, encrypted,
                     saved by the peer in downloads/<your id>/
  /voice [SECONDS]   record a voice note (10 s) and send it, encrypted, to the
                     peer or the room (recorder: --recorder, arecord, rec or sox)
  /play N            play voice note N received (aplay or play), or say its file
  /verify PEER       the safety number of your and PEER's identity keys:
                     read it to PEER by voice; both must see the same digits
  /trust PEER        accept PEER's changed identity key (after /verify)
  /compose           a message of several lines; a line with only . sends it
  /history [N]       the last N lines of the history kept on this device (20)
  /quit              leave (unconfirmed messages are reported)
  //text             send a line that starts with "/"`,
  );
});

Deno.test("an optional argument may be left out", () => {
  const bare = parseCommand("/history");
  assertEquals(bare.kind === "command" && bare.argument, "");
  const given = parseCommand("/history 50");
  assertEquals(given.kind === "command" && given.argument, "50");
});
