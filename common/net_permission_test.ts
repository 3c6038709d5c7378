import { assert, assertEquals, assertStringIncludes } from "@std/assert";

// A port outside a service's permission set, as a user types it after the
// task: one line that says what to run, and exit code 2.
const CASES = [
  ["kms", "kms/main.ts", ["--port", "38200", "--data", "data/test-net"]],
  ["relay", "relay/main.ts", ["--port", "38201", "--open"]],
  ["dashboard", "dashboard/main.ts", [
    "--port",
    "38202",
    "--kms",
    "http://10.9.9.9:8000",
  ]],
] as const;

for (const [set, entry, args] of CASES) {
  Deno.test(`deno run -P=${set} ${entry} ${args.join(" ")}: one line naming the command to run, exit 2`, async () => {
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", `-P=${set}`, entry, ...args],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const lines = new TextDecoder().decode(stderr).trim().split("\n")
      .filter((line) => !line.includes("experimental feature"));
    assertEquals(code, 2);
    assertEquals(lines.length, 1, lines.join("\n"));
    assertStringIncludes(lines[0], `does not allow 0.0.0.0:${args[1]}`);
    assertStringIncludes(
      lines[0],
      `run: deno run -P=${set} --allow-net=0.0.0.0:${args[1]}`,
    );
    assert(!lines[0].includes("NotCapable"));
  });
}
