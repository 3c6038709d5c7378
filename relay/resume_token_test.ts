import { assertEquals, assertMatch, assertNotEquals } from "@std/assert";
import { newResumeToken, readResumeToken } from "./resume_token.ts";

Deno.test("newResumeToken() returns 128 fresh random bits as hex", () => {
  const token = newResumeToken();
  assertMatch(token, /^[0-9a-f]{32}$/);
  assertNotEquals(newResumeToken(), token);
});

Deno.test("readResumeToken() reads an optional string and refuses anything else", () => {
  assertEquals(readResumeToken('{"type":"register","device_id":"a"}'), {
    ok: true,
    token: undefined,
  });
  assertEquals(readResumeToken('{"from":"a","resume":"ab12"}'), {
    ok: true,
    token: "ab12",
  });
  for (const resume of [1, null, ["ab"], { token: "ab" }]) {
    assertEquals(
      readResumeToken(JSON.stringify({ device_id: "a", resume })).ok,
      false,
    );
  }
});
