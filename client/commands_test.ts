import { assertEquals } from "@std/assert";
import { parseCommand } from "./commands.ts";

Deno.test("plain lines are text, blank lines nothing", () => {
  assertEquals(parseCommand("hello"), { kind: "text", text: "hello" });
  assertEquals(parseCommand("  "), { kind: "none" });
  assertEquals(parseCommand("//etc/hosts"), {
    kind: "text",
    text: "/etc/hosts",
  });
});

Deno.test("commands with and without arguments", () => {
  assertEquals(parseCommand("/quit"), { kind: "quit" });
  assertEquals(parseCommand(" /STATUS "), { kind: "text", text: " /STATUS " });
  assertEquals(parseCommand("/Status"), { kind: "status" });
  assertEquals(parseCommand("/rekey"), { kind: "rekey" });
  assertEquals(parseCommand("/help"), { kind: "help" });
  assertEquals(parseCommand("/peer Soldier_Charlie"), {
    kind: "peer",
    name: "Soldier_Charlie",
  });
  assertEquals(parseCommand("/file my report.pdf"), {
    kind: "file",
    path: "my report.pdf",
  });
});

Deno.test("misused and unknown commands explain themselves", () => {
  assertEquals(parseCommand("/file").kind, "invalid");
  assertEquals(parseCommand("/peer   ").kind, "invalid");
  assertEquals(parseCommand("/quit now").kind, "invalid");
  const unknown = parseCommand("/shrug");
  assertEquals(unknown.kind, "invalid");
  if (unknown.kind === "invalid") {
    assertEquals(unknown.message.includes("/help"), true);
  }
});
