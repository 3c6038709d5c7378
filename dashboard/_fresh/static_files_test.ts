import { assertEquals } from "@std/assert";
import { serveStatic } from "./static_files.ts";

async function folder(): Promise<{ dir: string; staticDir: URL }> {
  const dir = await Deno.makeTempDir({ prefix: "static-test-" });
  await Deno.writeTextFile(`${dir}/styles.css`, "body{}");
  await Deno.writeTextFile(`${dir}/LICENSE`, "text");
  return { dir, staticDir: new URL(`file://${dir}/`) };
}

Deno.test("a file revalidates with its ETag: 304 while it is unchanged", async () => {
  const { dir, staticDir } = await folder();
  try {
    const first = await serveStatic(
      new Request("http://x/styles.css"),
      staticDir,
    );
    const etag = first!.headers.get("etag")!;
    assertEquals(etag.startsWith('W/"6-'), true, etag);
    assertEquals(first!.headers.get("cache-control"), "no-cache");
    await first!.body?.cancel();
    const again = await serveStatic(
      new Request("http://x/styles.css", {
        headers: { "if-none-match": etag },
      }),
      staticDir,
    );
    assertEquals([again!.status, again!.headers.get("etag")], [304, etag]);
    await Deno.writeTextFile(`${dir}/styles.css`, "body{color:red}");
    await Deno.utime(`${dir}/styles.css`, 1, 1);
    const changed = await serveStatic(
      new Request("http://x/styles.css", {
        headers: { "if-none-match": etag },
      }),
      staticDir,
    );
    assertEquals(changed!.status, 200);
    assertEquals(await changed!.text(), "body{color:red}");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an unknown type is octet-stream; other methods are not files", async () => {
  const { dir, staticDir } = await folder();
  try {
    const file = await serveStatic(new Request("http://x/LICENSE"), staticDir);
    assertEquals(
      file!.headers.get("content-type"),
      "application/octet-stream",
    );
    await file!.body?.cancel();
    assertEquals(
      await serveStatic(
        new Request("http://x/styles.css", { method: "DELETE" }),
        staticDir,
      ),
      null,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
