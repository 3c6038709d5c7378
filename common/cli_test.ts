import { assertEquals, assertStringIncludes } from "@std/assert";
import { ConfigError, parsePort, parseUrl } from "./cli.ts";

Deno.test("parsePort accepts decimal ports and refuses every other spelling", () => {
  for (const [text, port] of [["0", 0], ["8000", 8000], ["65535", 65535]]) {
    assertEquals(parsePort(text as string, { name: "--port" }), port);
  }
  for (
    const text of ["", " ", "0x1F40", "1e3", "-1", "65536", "80.5", "8000a"]
  ) {
    let error: unknown;
    try {
      parsePort(text, { name: "--port" });
    } catch (e) {
      error = e;
    }
    assertEquals(error instanceof ConfigError, true, `"${text}" accepted`);
  }
});

Deno.test("parseUrl strips trailing slashes and names the flag when refusing", () => {
  const ws = { name: "--relay", protocols: ["ws:", "wss:"] };
  assertEquals(
    parseUrl("wss://relay.local:8765///", ws),
    "wss://relay.local:8765",
  );
  let message = "";
  try {
    parseUrl("http://relay.local", ws);
  } catch (error) {
    message = (error as Error).message;
  }
  assertStringIncludes(message, "--relay must be ws or wss");
});

Deno.test("runService prints usage for --help and exits 2 with one line on a bad setting", async () => {
  const source = new URL("./cli.ts", import.meta.url).href;
  const script = `
    import { ConfigError, runService } from "${source}";
    await runService({
      tag: "T",
      usage: "usage text",
      parse: (args) => { if (args[0] === "bad") throw new ConfigError("bad port"); return args; },
    }, async (config) => console.log("ran", config.join(",")));`;
  const run = async (...args: string[]) => {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--no-config", script, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const decode = (bytes: Uint8Array) =>
      new TextDecoder().decode(bytes).trim();
    return {
      code: output.code,
      out: decode(output.stdout),
      err: decode(output.stderr),
    };
  };
  assertEquals(await run("--help"), { code: 0, out: "usage text", err: "" });
  assertEquals(await run("bad"), { code: 2, out: "", err: "[T] bad port" });
  assertEquals(await run("a", "b"), { code: 0, out: "ran a,b", err: "" });
});
