import { assertEquals, assertThrows } from "@std/assert";
import { permissionFlags, permissionList } from "./permissions.ts";
import { PROJECT_ROOT } from "../common/service_process.ts";

Deno.test("permission sets print as the flags they stand for", () => {
  const config = JSON.stringify({
    permissions: {
      a: { net: ["0.0.0.0:1"], read: true, run: false, env: ["X", "Y"] },
    },
  });
  assertEquals(
    permissionFlags(config, "a"),
    "--allow-net=0.0.0.0:1 --allow-read --allow-env=X,Y",
  );
  assertThrows(
    () => permissionFlags(config, "b"),
    Error,
    'no permission set "b"',
  );
});

Deno.test("a command-line --allow-net shows in place of the set's", () => {
  const config = JSON.stringify({
    permissions: {
      kms: { net: ["0.0.0.0:8000"], read: ["./data"] },
      quiet: { read: ["./data"] },
    },
  });
  assertEquals(
    permissionFlags(config, "kms", { net: ["127.0.0.1:18200"] }),
    "--allow-net=127.0.0.1:18200 --allow-read=./data",
  );
  assertEquals(
    permissionFlags(config, "quiet", { net: ["127.0.0.1:1"] }),
    "--allow-read=./data --allow-net=127.0.0.1:1",
  );
  assertEquals(
    permissionFlags(config, "kms", { net: undefined }),
    "--allow-net=0.0.0.0:8000 --allow-read=./data",
  );
});

Deno.test("the services' sets in deno.json are narrow", async () => {
  const config = await Deno.readTextFile(`${PROJECT_ROOT}deno.json`);
  // The relay listens on its port and may reach only a loopback KMS (for
  // --kms); it reads the KMS's ticket public key (and /dev/null, for the
  // descriptor probe), never the KMS's data, and writes nothing.
  assertEquals(
    permissionList(config, "relay", "net"),
    ["0.0.0.0:8765", "localhost:8000", "127.0.0.1:8000"],
  );
  for (const path of permissionList(config, "relay", "read")) {
    assertEquals(
      path.endsWith("/ticket_key.pub") || path === "/dev/null",
      true,
      path,
    );
  }
  assertEquals(permissionList(config, "relay", "write"), []);
  assertEquals(permissionFlags(config, "kms").includes("--allow-run"), false);
  // The dashboard reads its own files and the operator's credentials only.
  assertEquals(
    permissionList(config, "dashboard", "read").filter((path) =>
      path !== "/dev/null"
    ),
    ["./dashboard", "./credentials"],
  );
  assertEquals(permissionList(config, "dashboard", "write"), []);
});
