import { assertEquals, assertRejects } from "@std/assert";
import { PROJECT_ROOT } from "../common/service_process.ts";
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

Deno.test("a link to a file the client may not read (data/) is refused under the client's permissions", async () => {
  const tag = crypto.randomUUID().slice(0, 8);
  const secretDir = `data/test-attach-${tag}`;
  const link = `state/test-link-${tag}.txt`;
  const allowed = `state/test-allowed-${tag}.txt`;
  const allowedLink = `state/test-link-ok-${tag}.txt`;
  await Deno.mkdir(`${PROJECT_ROOT}${secretDir}`, { recursive: true });
  await Deno.mkdir(`${PROJECT_ROOT}state`, { recursive: true });
  try {
    await Deno.writeTextFile(`${PROJECT_ROOT}${secretDir}/master.key`, "k");
    await Deno.symlink(`../${secretDir}/master.key`, `${PROJECT_ROOT}${link}`);
    await Deno.writeTextFile(`${PROJECT_ROOT}${allowed}`, "ok");
    await Deno.symlink(
      `test-allowed-${tag}.txt`,
      `${PROJECT_ROOT}${allowedLink}`,
    );
    const send = async (path: string) => {
      const { stdout } = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--quiet",
          "-P=client",
          "client/_test_read_attachment.ts",
          path,
        ],
        cwd: PROJECT_ROOT,
        stdout: "piped",
        stderr: "inherit",
      }).output();
      return new TextDecoder().decode(stdout).trim();
    };
    assertEquals(
      await send(link),
      "refused: the client is not allowed to read it",
    );
    assertEquals(await send(allowedLink), "sent 2 bytes");
  } finally {
    for (const path of [link, allowed, allowedLink]) {
      await Deno.remove(`${PROJECT_ROOT}${path}`).catch(() => {});
    }
    await Deno.remove(`${PROJECT_ROOT}${secretDir}`, { recursive: true });
  }
});
