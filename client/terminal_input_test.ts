import { assert, assertEquals } from "@std/assert";
import { PassThrough } from "node:stream";
import { TerminalInput } from "./terminal_input.ts";

const UP = "\x1b[A";
const LEFT = "\x1b[D";
const HOME = "\x1b[H";
const END = "\x1b[F";

/** A terminal input over in-memory streams, 80 columns wide. */
function terminalOf() {
  const keys = new PassThrough();
  const output = Object.assign(new PassThrough(), { columns: 80 });
  let shown = "";
  output.on("data", (chunk: Uint8Array) => {
    shown += new TextDecoder().decode(chunk);
  });
  let interrupts = 0;
  const input = new TerminalInput({
    input: keys,
    output,
    onInterrupt: () => interrupts++,
  });
  return {
    input,
    type: (text: string) => keys.write(text),
    shown: () => shown,
    interrupts: () => interrupts,
    end: () => keys.end(),
  };
}

Deno.test("cursor keys, Home and End edit inside the line", async () => {
  const terminal = terminalOf();
  terminal.type(`acd${LEFT}${LEFT}b${HOME}>${END}!\r`);
  assertEquals(await terminal.input.next(), ">abcd!");
  await terminal.input.cancel();
});

Deno.test("Up recalls the line typed before", async () => {
  const terminal = terminalOf();
  terminal.type("first\r");
  assertEquals(await terminal.input.next(), "first");
  terminal.type(`${UP} again\r`);
  assertEquals(await terminal.input.next(), "first again");
  await terminal.input.cancel();
});

Deno.test("Ctrl-C is the interrupt, Ctrl-D on an empty line the end", async () => {
  const terminal = terminalOf();
  terminal.type("\x03");
  terminal.type("\x04");
  assertEquals(await terminal.input.next(), null);
  assertEquals(terminal.interrupts(), 1);
});

Deno.test("a line printed while typing goes above; the typed text is drawn again", async () => {
  const terminal = terminalOf();
  terminal.input.setPrompt("Soldier_Alpha> ");
  terminal.type("half typed");
  // Keys are read asynchronously from the stream.
  await new Promise((resolve) => setTimeout(resolve, 10));
  terminal.input.printAbove("[12:00:00] Soldier_Bravo> hello");
  const shown = terminal.shown();
  const printed = shown.lastIndexOf("Soldier_Bravo> hello");
  assert(printed > 0, shown);
  assert(
    shown.slice(printed).includes("Soldier_Alpha> half typed"),
    JSON.stringify(shown),
  );
  terminal.type("\r");
  assertEquals(await terminal.input.next(), "half typed");
  await terminal.input.cancel();
});

Deno.test("the end of the keys ends the input", async () => {
  const terminal = terminalOf();
  terminal.type("last\r");
  terminal.end();
  assertEquals(await terminal.input.next(), "last");
  assertEquals(await terminal.input.next(), null);
});

Deno.test("a bracketed paste of 40 lines is one item, its / lines not commands; one line is typed in", async () => {
  const terminal = terminalOf();
  const lines = Array.from({ length: 40 }, (_, i) => `line ${i + 1}`);
  lines[5] = "/quit";
  terminal.type("typed: ");
  terminal.type(`\x1b[200~${lines.join("\r\n")}\r\n\x1b[201~`);
  assertEquals(await terminal.input.next(), {
    kind: "pasted",
    text: `typed: ${lines.join("\n")}`,
  });
  terminal.type("\x1b[200~one line\x1b[201~ more\r");
  assertEquals(await terminal.input.next(), "one line more");
  assert(terminal.shown().includes("\x1b[?2004h"), "bracketed paste asked for");
  await terminal.input.cancel();
});
