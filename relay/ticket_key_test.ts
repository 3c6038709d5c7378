import { assertEquals, assertStringIncludes } from "@std/assert";
import { readPublicKey } from "../protocol/mod.ts";
import { loadTicketKey } from "./ticket_key.ts";

const KEY = new Uint8Array(32).map((_, i) => i);
const TEXT = KEY.toBase64({ alphabet: "base64url", omitPadding: true });

Deno.test("readPublicKey() takes 32 bytes of base64url and refuses the rest", () => {
  assertEquals(readPublicKey(`  ${TEXT}\n`), { ok: true, key: KEY });
  assertEquals(readPublicKey("%%%").ok, false);
  const short = readPublicKey(TEXT.slice(0, 20));
  assertStringIncludes(short.ok ? "" : short.reason, "32 bytes");
});

Deno.test("loadTicketKey() reads the KMS's file, and says which file it could not", async () => {
  const file = await Deno.makeTempFile();
  try {
    await Deno.writeTextFile(file, `${TEXT}\n`);
    assertEquals(await loadTicketKey({ file }, { log() {} }), {
      ok: true,
      key: KEY,
    });
    const missing = await loadTicketKey({ file: `${file}.x` }, { log() {} });
    assertStringIncludes(
      missing.ok ? "" : missing.reason,
      `cannot read --ticket-key ${file}.x`,
    );
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("loadTicketKey() retries a KMS that is down and refuses one that answers without a key", async () => {
  const lines: string[] = [];
  const down = await loadTicketKey({ kmsUrl: "http://127.0.0.1:1" }, {
    log: (line) => lines.push(line),
    retryMs: 10,
    signal: AbortSignal.abort(),
  });
  assertEquals(down.ok, false);
  assertStringIncludes(lines[0], "waiting for the KMS at http://127.0.0.1:1");
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => Response.json({ error: "not_found" }, { status: 404 }),
  );
  const wrong = await loadTicketKey({
    kmsUrl: `http://127.0.0.1:${server.addr.port}`,
  }, { log() {} });
  assertStringIncludes(
    wrong.ok ? "" : wrong.reason,
    "answered HTTP 404 without an Ed25519 ticket key",
  );
});
