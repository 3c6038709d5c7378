import { assertEquals, assertThrows } from "@std/assert";
import { permissionFlags } from "./permissions.ts";
import { PROJECT_ROOT } from "./service_process.ts";

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

Deno.test("the services' sets in deno.json are narrow", async () => {
  const config = await Deno.readTextFile(`${PROJECT_ROOT}deno.json`);
  assertEquals(
    permissionFlags(config, "relay").startsWith("--allow-net=0.0.0.0:8765 "),
    true,
  );
  assertEquals(
    permissionFlags(config, "relay").includes("--allow-read"),
    false,
  );
  assertEquals(permissionFlags(config, "kms").includes("--allow-run"), false);
});
