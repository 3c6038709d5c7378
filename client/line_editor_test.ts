import { assertEquals } from "@std/assert";
import { LineEditor } from "./line_editor.ts";

/** An editor over `chunks`, recording what it showed. */
function editorOf(...chunks: (string | Uint8Array<ArrayBuffer>)[]) {
  const encoder = new TextEncoder();
  const shown: string[] = [];
  const editor = new LineEditor(
    ReadableStream.from(
      chunks.map((chunk) =>
        typeof chunk === "string" ? encoder.encode(chunk) : chunk
      ),
    ),
    {
      show: (typed) => shown.push(typed),
      newLine: () => shown.push("⏎"),
    },
  );
  return { editor, shown };
}

async function linesOf(editor: LineEditor): Promise<(string | null)[]> {
  const lines: (string | null)[] = [];
  for (let line; (line = await editor.next()) !== null;) lines.push(line);
  return lines;
}

Deno.test("typing, Backspace and Enter; what is shown follows each key", async () => {
  const { editor, shown } = editorOf("hj\x7fi\r");
  assertEquals(await editor.next(), "hi");
  assertEquals(shown, ["h", "hj", "h", "hi", "⏎"]);
  assertEquals(editor.typed, "");
});

Deno.test("Ctrl-U and Ctrl-W erase; escape sequences and control keys are ignored", async () => {
  const { editor } = editorOf(
    "wrong\x15right\r",
    "two words\x17\r",
    "a\x1b[A\x1b[1;5Cb\x1bOPc\x01\r",
  );
  assertEquals(await linesOf(editor), ["right", "two ", "abc"]);
});

Deno.test("a paste of several lines, CR LF endings and characters split across reads", async () => {
  const e = new TextEncoder().encode("é");
  const { editor } = editorOf(
    "one\r\ntwo\nthree\rcaf",
    e.slice(0, 1),
    e.slice(1),
    "\r",
  );
  assertEquals(await linesOf(editor), ["one", "two", "three", "café"]);
});

Deno.test("Ctrl-D ends the input on an empty line only; end of stream keeps the last line", async () => {
  assertEquals(await linesOf(editorOf("abc\x04\r", "\x04", "more\r").editor), [
    "abc",
  ]);
  assertEquals(await linesOf(editorOf("last words").editor), ["last words"]);
});
