import { assertEquals } from "@std/assert";
import { safeFileName, saveDownload } from "./downloads.ts";

Deno.test("safeFileName keeps a harmless base name", () => {
  assertEquals(safeFileName("report.pdf"), "report.pdf");
  assertEquals(safeFileName("field report (2).txt"), "field report (2).txt");
  assertEquals(safeFileName("Überblick.txt"), "Überblick.txt");
});

Deno.test("safeFileName defuses paths, dots and control characters", () => {
  assertEquals(safeFileName("../../etc/passwd"), "passwd");
  assertEquals(safeFileName("C:\\Windows\\system.ini"), "system.ini");
  assertEquals(safeFileName(".bashrc"), "bashrc");
  assertEquals(safeFileName(".."), "file");
  assertEquals(safeFileName("a/"), "file");
  assertEquals(safeFileName("..", { fallback: "device" }), "device");
  assertEquals(safeFileName("evil\x1b[2J\n.sh"), "evil_2J_.sh");
  assertEquals(safeFileName("photo\u202Egpj.exe"), "photo_gpj.exe");
  assertEquals(safeFileName("trailing. . "), "trailing");
  const long = safeFileName(`${"x".repeat(300)}.tar.gz`);
  assertEquals(long.length, 100);
  assertEquals(long.endsWith(".gz"), true);
});

Deno.test("saveDownload writes under dir/sender and never overwrites", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const save = (text: string, name: string) =>
      saveDownload(new TextEncoder().encode(text), {
        dir,
        sender: "Soldier_Alpha",
        name,
      });
    assertEquals(
      await save("one", "note.txt"),
      `${dir}/Soldier_Alpha/note.txt`,
    );
    assertEquals(
      await save("two", "../note.txt"),
      `${dir}/Soldier_Alpha/note (1).txt`,
    );
    assertEquals(
      await save("three", "note.txt"),
      `${dir}/Soldier_Alpha/note (2).txt`,
    );
    assertEquals(
      await Deno.readTextFile(`${dir}/Soldier_Alpha/note.txt`),
      "one",
    );
    assertEquals(
      await Deno.readTextFile(`${dir}/Soldier_Alpha/note (1).txt`),
      "two",
    );
    const odd = await saveDownload(new Uint8Array(0), {
      dir,
      sender: "..",
      name: "..",
    });
    assertEquals(odd, `${dir}/device/file`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a saved download is readable by this user only (0600)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = await saveDownload(new Uint8Array(3), {
      dir,
      sender: "Soldier_Alpha",
      name: "map.png",
    });
    assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
