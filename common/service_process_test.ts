import {
  assertEquals,
  assertRejects,
  assertStrictEquals,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import {
  freePort,
  PROJECT_ROOT,
  serviceArgs,
  type ServiceSpec,
  startService,
} from "./service_process.ts";
import { delay } from "./std.ts";

/**
 * A throwaway entry module with `code`, run under the `test` set. It lives
 * inside the project (in the ignored test_artifacts/), because Deno finds
 * deno.json, and with it the permission sets, from the entry's folder.
 */
async function scriptSpec(
  code: string,
  spec: Partial<ServiceSpec> = {},
): Promise<{ spec: ServiceSpec; [Symbol.asyncDispose](): Promise<void> }> {
  const dir = `${PROJECT_ROOT}test_artifacts/common`;
  await Deno.mkdir(dir, { recursive: true });
  const entry = await Deno.makeTempFile({ dir, suffix: ".ts" });
  await Deno.writeTextFile(entry, code);
  return {
    spec: { permissionSet: "test", entry, ...spec },
    [Symbol.asyncDispose]: () => Deno.remove(entry),
  };
}

Deno.test("serviceArgs: a net list overrides the set's, before the entry", () => {
  assertEquals(
    serviceArgs({
      permissionSet: "relay",
      entry: "relay/main.ts",
      args: ["--port", "9000"],
      net: ["127.0.0.1:9000", "localhost:9000"],
    }),
    [
      "run",
      "--quiet",
      "-P=relay",
      "--allow-net=127.0.0.1:9000,localhost:9000",
      "relay/main.ts",
      "--port",
      "9000",
    ],
  );
});

Deno.test("startService waits for the ready line; output holds stdout and stderr; typed lines arrive", async () => {
  await using script = await scriptSpec(
    `console.error("warming up");
console.log("ready on " + Deno.env.get("WHERE"));
for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
  console.log("got " + chunk.trim());
}
console.log("stdin closed");`,
    { env: { WHERE: "here" }, interactive: true },
  );
  const service = await startService(script.spec, { ready: /^ready on / });
  try {
    assertStringIncludes(service.output, "ready on here\n");
    assertEquals(await service.waitForLine(/warming/), "warming up");
    await service.type("hello");
    assertEquals(await service.waitForLine(/^got /), "got hello");
    await service.closeInput();
    assertEquals(await service.waitForLine(/closed/), "stdin closed");
    assertEquals((await service.exited).code, 0);
  } finally {
    await service.stop();
  }
});

Deno.test("startService rejects with the last lines when the service exits before its ready line", async () => {
  await using script = await scriptSpec(
    `console.log("cannot bind"); Deno.exit(3);`,
  );
  const error = await assertRejects(
    () => startService(script.spec, { ready: /listening/ }),
    Error,
    "process exited before a line matching /listening/",
  );
  assertStringIncludes(error.message, "cannot bind");
});

Deno.test("startService stops the service when its signal aborts before the ready line", async () => {
  const pidFile = await Deno.makeTempFile();
  try {
    await using script = await scriptSpec(
      `await Deno.writeTextFile(Deno.env.get("PID_FILE")!, String(Deno.pid));
setInterval(() => {}, 1000);`,
      { env: { PID_FILE: pidFile } },
    );
    const controller = new AbortController();
    const starting = startService(script.spec, {
      ready: /listening/,
      signal: controller.signal,
    });
    let pid = "";
    while (!(pid = await Deno.readTextFile(pidFile))) await delay(20);
    const reason = new Error("operator pressed Ctrl-C");
    controller.abort(reason);
    const error = await assertRejects(() => starting);
    assertStrictEquals(error, reason);
    // Killed and reaped: there is no such process any more.
    assertThrows(() => Deno.kill(Number(pid), "SIGCONT"), Deno.errors.NotFound);
  } finally {
    await Deno.remove(pidFile);
  }
});

Deno.test("freePort never hands out a port twice, though each is closed at once", () => {
  const ports = Array.from({ length: 500 }, () => freePort());
  assertEquals(new Set(ports).size, ports.length);
});
