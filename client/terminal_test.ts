import { assertEquals } from "@std/assert";
import { dayLine } from "./format.ts";
import { type Screen, Terminal } from "./terminal.ts";

function capture(options: { interactive: boolean; color: boolean }) {
  let text = "";
  // A screen that writes what it is asked to do.
  const screen: Screen = {
    printAbove: (line) => text += `[above]${line}\n`,
    setPrompt: (prompt) => text += `[prompt]${prompt}`,
    bell: () => text += "[bell]",
  };
  const terminal = new Terminal({
    color: options.color,
    screen: options.interactive ? screen : undefined,
    write: (part) => text += part,
  });
  terminal.label = "[Alpha]";
  return { terminal, output: () => text };
}

Deno.test("plain output: lines only, no escape codes", () => {
  const { terminal, output } = capture({ interactive: false, color: true });
  terminal.setPrompt("Soldier_Alpha> ");
  terminal.status(
    "ok",
    "✓ Quantum key established (QBER=2.0%) | Status: GREEN",
  );
  terminal.message("Soldier_Bravo", "hi\x1b[2J", {
    at: new Date(2026, 1, 23, 5, 2, 3),
  });
  terminal.ask("Device ID: ");
  terminal.showPrompt();
  assertEquals(
    output(),
    "[Alpha] ✓ Quantum key established (QBER=2.0%) | Status: GREEN\n" +
      `${dayLine(new Date(2026, 1, 23, 5, 2, 3))}\n` +
      "[05:02:03] Soldier_Bravo> hi\uFFFD[2J\n" +
      "Device ID: \n",
  );
});

Deno.test("on a terminal: lines go above the prompt, in colour", () => {
  const { terminal, output } = capture({ interactive: true, color: true });
  terminal.setPrompt("Soldier_Alpha> ");
  terminal.status("alert", "[!] Verification failed — possible tampering!");
  assertEquals(
    output(),
    "[prompt]Soldier_Alpha> " +
      "[above]\x1b[1;31m[Alpha] [!] Verification failed — possible tampering!\x1b[0m\n" +
      "[bell]",
  );
});

Deno.test("on a terminal without colour: no colour codes", () => {
  const { terminal, output } = capture({ interactive: true, color: false });
  terminal.status("warn", "⚠ careful");
  assertEquals(output(), "[above][Alpha] ⚠ careful\n");
});

Deno.test("a chat line of another day comes after a date line; the same day gets none", () => {
  const { terminal, output } = capture({ interactive: false, color: false });
  terminal.message("Soldier_Bravo", "late night", {
    at: new Date(2026, 11, 1, 23, 59, 0),
  });
  terminal.message("Soldier_Bravo", "still up", {
    at: new Date(2026, 11, 1, 23, 59, 30),
  });
  terminal.message("Soldier_Bravo", "morning", {
    at: new Date(2026, 11, 2, 0, 0, 5),
  });
  const lines = output().trimEnd().split("\n");
  assertEquals(lines, [
    dayLine(new Date(2026, 11, 1)),
    "[23:59:00] Soldier_Bravo> late night",
    "[23:59:30] Soldier_Bravo> still up",
    dayLine(new Date(2026, 11, 2)),
    "[00:00:05] Soldier_Bravo> morning",
  ]);
  assertEquals(lines[3].slice(0, 17), "── 2026-12-02 Wed");
});

Deno.test("a message of several lines: the next lines indented under the first", () => {
  const { terminal, output } = capture({ interactive: false, color: false });
  terminal.message("Bravo", "one\ntwo\x1b[2J", {
    at: new Date(2026, 1, 23, 5, 2, 3),
  });
  assertEquals(output().split("\n").slice(1, 3), [
    "[05:02:03] Bravo> one",
    "                  two\uFFFD[2J",
  ]);
});

Deno.test("the bell rings for messages and alarms, alarms only, or never", () => {
  for (
    const [mode, expected] of [
      ["all", 2],
      ["alerts", 1],
      ["off", 0],
    ] as const
  ) {
    const { terminal, output } = capture({ interactive: true, color: false });
    terminal.bell = mode;
    terminal.message("Soldier_Bravo", "hi");
    terminal.status("alert", "⚠ QUANTUM LINK RED");
    terminal.status("info", "• nothing to ring for");
    assertEquals(output().split("[bell]").length - 1, expected, mode);
  }
  // Plain output never rings.
  const { terminal, output } = capture({ interactive: false, color: false });
  terminal.message("Soldier_Bravo", "hi");
  assertEquals(output().includes("\x07"), false);
});
