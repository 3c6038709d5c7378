/**
 * `router_guard.sh --help` prints its usage and settings and exits 0
 * without polling the KMS or touching the firewall; an unknown argument is
 * one line and exit code 2. No network namespace needed: the script stops
 * before it does anything.
 */

import { assert, assertEquals } from "@std/assert";
import { PROJECT_ROOT } from "../common/service_process.ts";

/** Runs the guard with `shell` (e.g. `["/usr/bin/busybox", "sh"]`). */
async function guard(shell: string[], ...args: string[]) {
  const { code, stdout, stderr } = await new Deno.Command(shell[0], {
    args: [...shell.slice(1), `${PROJECT_ROOT}router/router_guard.sh`, ...args],
    // A documentation address: a guard that went on would poll nothing.
    env: { KMS_HOST: "192.0.2.1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code, out: decoder.decode(stdout), err: decoder.decode(stderr) };
}

async function shells(): Promise<string[][]> {
  const found = [["/bin/sh"]];
  try {
    await Deno.stat("/usr/bin/busybox");
    found.push(["/usr/bin/busybox", "sh"]);
  } catch {
    // BusyBox is optional here; the namespace tests need it.
  }
  return found;
}

Deno.test("router_guard.sh --help prints the settings and exits 0 without polling", async () => {
  for (const shell of await shells()) {
    for (const flag of ["--help", "-h"]) {
      const { code, out, err } = await guard(shell, flag);
      assertEquals([code, err], [0, ""], `${shell} ${flag}`);
      assert(out.startsWith("Usage: "), out);
      for (const name of ["KMS_HOST=192.168.1.100", "FAIL_MODE=closed"]) {
        assert(out.includes(name), out);
      }
      assert(!out.includes("[GUARD]"), out);
    }
  }
});

Deno.test("router_guard.sh with an unknown argument: one line, exit 2", async () => {
  const { code, out, err } = await guard(["/bin/sh"], "--port", "8000");
  assertEquals(code, 2);
  assertEquals(out, "");
  assertEquals(err.trim().split("\n").length, 1);
  assert(err.includes("unknown argument --port"), err);
});
