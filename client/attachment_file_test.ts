import { assertEquals, assertRejects } from "@std/assert";
import { AttachmentError, readAttachment } from "./attachment_file.ts";

Deno.test("readAttachment reads a regular file under the root", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${root}/reports`);
    await Deno.writeFile(`${root}/reports/day 1.txt`, Uint8Array.of(1, 2, 3));
    const file = await readAttachment("reports/day 1.txt", {
      root,
      maxBytes: 3,
    });
    assertEquals(file, { name: "day 1.txt", data: Uint8Array.of(1, 2, 3) });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("readAttachment refuses what it must not or cannot send", async () => {
  const root = await Deno.makeTempDir();
  const outside = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${outside}/secret`, "secret");
    await Deno.symlink(`${outside}/secret`, `${root}/link`);
    await Deno.mkdir(`${root}/folder`);
    await Deno.writeFile(`${root}/big`, new Uint8Array(11));
    const cases: [string, RegExp][] = [
      ["../secret", /only files under/],
      [`${outside}/secret`, /only files under/],
      ["folder/../../secret", /only files under/],
      [".", /only files under/],
      ["link", /a link to a place outside/],
      ["folder", /not a regular file/],
      ["missing", /no such file/],
      ["big", /11 B is over the 10 B limit/],
    ];
    for (const [path, message] of cases) {
      const error = await assertRejects(
        () => readAttachment(path, { root, maxBytes: 10 }),
        AttachmentError,
      );
      assertEquals(
        message.test(error.message),
        true,
        `${path}: ${error.message}`,
      );
    }
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(outside, { recursive: true });
  }
});
