import { assertEquals } from "@std/assert";
import { Composer } from "./composer.ts";
import { type ClientEvent, describe } from "./messages.ts";

function composing() {
  const said: string[] = [];
  const composer = new Composer({
    say: (event: ClientEvent) => said.push(describe(event).text),
  });
  return { composer, said };
}

Deno.test("/compose: lines gather until a lone dot, commands inside are text", () => {
  const { composer, said } = composing();
  composer.start();
  assertEquals(composer.take("Sitrep:"), undefined);
  assertEquals(composer.take("/quit is not run"), undefined);
  assertEquals(composer.take("."), {
    kind: "text",
    text: "Sitrep:\n/quit is not run",
  });
  assertEquals(composer.composing, false);
  assertEquals(said.length, 1);
  assertEquals(composer.take("/status")?.kind, "command");
});

Deno.test("a paste of 40 lines becomes one message; /cancel drops one", () => {
  const { composer, said } = composing();
  const text = Array.from({ length: 40 }, (_, i) => `line ${i}`).join("\n");
  assertEquals(composer.take({ kind: "pasted", text }), undefined);
  assertEquals(said, [
    "✎ A message of 40 line(s) so far: type more lines; a line with only . sends it, /cancel drops it.",
  ]);
  assertEquals(composer.take("."), { kind: "text", text });
  composer.start();
  composer.take("oops");
  assertEquals(composer.take("/cancel"), undefined);
  assertEquals(said.at(-1), "✎ Message dropped.");
  assertEquals(composer.take("."), { kind: "text", text: "." });
});
