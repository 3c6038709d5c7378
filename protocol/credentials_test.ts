import { assertEquals } from "@std/assert";
import { formatCredentials, parseCredentials } from "./credentials.ts";

Deno.test("a credentials file reads back; each bad field is named", () => {
  const good = {
    device_id: "Ops_1",
    token: "a".repeat(43),
    role: "operator",
  } as const;
  assertEquals(parseCredentials(formatCredentials(good)), {
    ok: true,
    credentials: good,
  });
  const cases: [unknown, string][] = [
    [{ ...good, device_id: "bad id" }, "device_id"],
    [{ ...good, token: "short" }, "token"],
    [{ ...good, token: "has space in it...." }, "token"],
    [{ ...good, role: "admin" }, "role"],
    [[], "device_id"],
  ];
  for (const [body, field] of cases) {
    const check = parseCredentials(JSON.stringify(body));
    assertEquals(check.ok, false);
    if (!check.ok) {
      assertEquals(check.reason.includes(field), true, check.reason);
    }
  }
  assertEquals(parseCredentials("nope"), { ok: false, reason: "not JSON" });
  assertEquals(parseCredentials("null"), {
    ok: false,
    reason: "not a JSON object",
  });
});
