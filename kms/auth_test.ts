import { assert, assertEquals } from "@std/assert";
import { newToken, tokenHash } from "./auth.ts";

Deno.test("a new token never starts with '-', so `--token TOKEN` is never read as a flag", () => {
  // With 1 token in 64 starting so, 2,000 would show one with probability
  // 1 − (63/64)^2000 > 1 − 10^-13.
  const tokens = Array.from({ length: 2000 }, newToken);
  assert(tokens.every((token) => !token.startsWith("-")));
  assert(tokens.some((token) => token.includes("-")), "still base64url");
  assertEquals(new Set(tokens).size, tokens.length);
});

Deno.test("a token's hash is lowercase hex SHA-256", () => {
  const hash = tokenHash("t0k3n");
  assertEquals(hash.length, 64);
  assert(/^[0-9a-f]+$/.test(hash));
});
