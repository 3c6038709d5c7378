import { assertMatch, assertNotEquals } from "@std/assert";
import { newResumeToken } from "./resume_token.ts";

Deno.test("newResumeToken() returns 128 fresh random bits as hex", () => {
  const token = newResumeToken();
  assertMatch(token, /^[0-9a-f]{32}$/);
  assertNotEquals(newResumeToken(), token);
});
