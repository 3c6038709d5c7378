import { assertEquals } from "@std/assert";
import { OperatorAuth } from "./operator_auth.ts";
import { LoginThrottle } from "./login_throttle.ts";

const OPERATOR = {
  device_id: "Operator",
  token: "op-token-0123456789",
  role: "operator",
} as const;

Deno.test("a host that failed too often is refused unchecked until its window ends; other hosts are not", async () => {
  let now = 0;
  const auth = new OperatorAuth(OPERATOR, {
    now: () => now,
    loginLimit: { maxFailures: 3, windowMs: 60_000, maxHosts: 8 },
  });
  const attacker = { source: "10.0.0.9:4000", host: "10.0.0.9" };
  for (let i = 0; i < 3; i++) {
    assertEquals(await auth.login("Operator", "wrong", attacker), null);
  }
  assertEquals(auth.retryAfterMs("10.0.0.9"), 60_000);
  assertEquals(
    await auth.login("Operator", OPERATOR.token, attacker),
    null,
    "refused while waiting, the right token too",
  );
  const operator = { source: "10.0.0.7:5000", host: "10.0.0.7" };
  assertEquals(
    (await auth.login("Operator", OPERATOR.token, operator))?.operator,
    "Operator",
  );
  now = 60_000;
  assertEquals(auth.retryAfterMs("10.0.0.9"), 0);
  assertEquals(
    (await auth.login("Operator", OPERATOR.token, attacker))?.operator,
    "Operator",
  );
});

Deno.test("hosts beyond maxHosts are not tracked, so many addresses cannot lock out a new one", () => {
  const throttle = new LoginThrottle({
    limit: { maxFailures: 1, windowMs: 60_000, maxHosts: 2 },
    now: () => 0,
  });
  for (const host of ["10.0.0.1", "10.0.0.2", "10.0.0.3"]) throttle.fail(host);
  assertEquals(throttle.retryAfterMs("10.0.0.1"), 60_000);
  assertEquals(throttle.retryAfterMs("10.0.0.2"), 60_000);
  assertEquals(throttle.retryAfterMs("10.0.0.3"), 0);
});
