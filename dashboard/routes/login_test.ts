import { assert, assertEquals, assertStringIncludes } from "@std/assert";
import { FakeKms } from "../_test_fake_kms.ts";
import { waitUntil } from "../../testing/wait.ts";
import { TEST_OPERATOR, TEST_ORIGIN, testSite } from "../_test_site.ts";

Deno.test("without a session the view and its stream are closed, and the login is shown", async () => {
  const site = testSite(new FakeKms());
  const view = await site.handle("/");
  assertEquals([view.status, view.headers.get("location")], [303, "/login"]);
  const events = await site.handle("/events");
  assertEquals(events.status, 401);
  await events.body?.cancel();
  const login = await site.handle("/login");
  assertEquals(login.status, 200);
  const html = await login.text();
  assertStringIncludes(
    html,
    '<label for="login-operator">Operator name</label>',
  );
  assertStringIncludes(html, '<label for="login-token">Token</label>');
  assertStringIncludes(html, 'id="login-token" name="token" type="password"');
  // A page without islands: no scripts, no state.
  assertEquals(html.includes("<script"), false);
});

Deno.test("the right name and token give an HttpOnly SameSite=Strict session cookie", async () => {
  const site = testSite(new FakeKms());
  const response = await site.postLogin(
    TEST_OPERATOR.device_id,
    TEST_OPERATOR.token,
  );
  assertEquals([response.status, response.headers.get("location")], [303, "/"]);
  const cookie = response.headers.get("set-cookie")!;
  assert(
    /^qstcs_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=28800$/
      .test(cookie),
    cookie,
  );
  const page = await site.handle("/", {
    headers: { cookie: cookie.split(";")[0] },
  });
  assertEquals(page.status, 200);
  const html = await page.text();
  assertStringIncludes(html, "Logged in as <strong>Operator</strong>");
  // The token never goes to a browser.
  assertEquals(html.includes(TEST_OPERATOR.token), false);
  assertEquals(site.logs, [
    "operator Operator logged in from 127.0.0.9:40000",
  ]);
});

Deno.test("a wrong name or token is refused with 401 and logged once per interval", async () => {
  const site = testSite(new FakeKms());
  for (
    const [name, token] of [
      ["Operator", "wrong-token-0123456789"],
      ["Soldier_Alpha", TEST_OPERATOR.token],
      ["", ""],
    ]
  ) {
    const response = await site.postLogin(name, token);
    assertEquals(response.status, 401, name);
    assertEquals(response.headers.get("set-cookie"), null);
    assertStringIncludes(
      await response.text(),
      "Wrong operator name or token.",
    );
  }
  assertEquals(site.logs, [
    "login refused from 127.0.0.9:40000 (1 refused since the last report)",
  ]);
});

Deno.test("a dashboard without an operator credential lets nobody in and says why", async () => {
  const site = testSite(new FakeKms(), { operator: null });
  const response = await site.postLogin(
    TEST_OPERATOR.device_id,
    TEST_OPERATOR.token,
  );
  assertEquals(response.status, 401);
  assertStringIncludes(await response.text(), "--operator-credentials FILE");
});

Deno.test("a login form posted from another site is refused", async () => {
  const site = testSite(new FakeKms());
  const response = await site.handle("/login", {
    method: "POST",
    headers: { origin: "http://evil.test" },
    body: new URLSearchParams({
      operator: TEST_OPERATOR.device_id,
      token: TEST_OPERATOR.token,
    }),
  });
  assertEquals(response.status, 403);
  assertEquals(response.headers.get("set-cookie"), null);
  await response.body?.cancel();
});

Deno.test("logout needs the CSRF token, ends the session and clears the cookie", async () => {
  const site = testSite(new FakeKms());
  const session = await site.login();
  const forged = await site.handle("/logout", {
    method: "POST",
    headers: { origin: TEST_ORIGIN, cookie: session.cookie },
    body: new URLSearchParams({ csrf: "forged" }),
  });
  assertEquals(forged.status, 403);
  await forged.body?.cancel();
  const response = await site.handle("/logout", {
    method: "POST",
    headers: { origin: TEST_ORIGIN, cookie: session.cookie },
    body: new URLSearchParams({ csrf: session.csrf }),
  });
  assertEquals([response.status, response.headers.get("location")], [
    303,
    "/login",
  ]);
  assertEquals(
    response.headers.get("set-cookie"),
    "qstcs_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0",
  );
  const after = await site.handle("/", { headers: { cookie: session.cookie } });
  assertEquals(after.status, 303);
  const attack = await site.handle("/api/force_attack", {
    method: "POST",
    headers: { cookie: session.cookie, "x-csrf-token": session.csrf },
  });
  assertEquals(attack.status, 401);
  await attack.body?.cancel();
  assertEquals(
    site.logs.at(-1),
    "operator Operator logged out from 127.0.0.9:40000",
  );
});

Deno.test("a KMS in open mode shows the loud banner on the login and the view", async () => {
  const kms = new FakeKms();
  kms.auth = "open";
  const site = testSite(kms);
  site.monitor.start();
  try {
    await waitUntil(() => site.monitor.state.kmsAuth === "open", "open mode");
    assertStringIncludes(
      await (await site.handle("/login")).text(),
      "KMS IN OPEN MODE",
    );
    const { cookie } = await site.login();
    const html = await (await site.handle("/", { headers: { cookie } }))
      .text();
    assertStringIncludes(html, 'data-testid="open-kms"');
  } finally {
    await site.monitor.close();
  }
});

Deno.test("a KMS that requires tokens shows no banner", async () => {
  const site = testSite(new FakeKms());
  site.monitor.start();
  try {
    await waitUntil(
      () => site.monitor.state.kmsAuth === "required",
      "required",
    );
    const { cookie } = await site.login();
    const html = await (await site.handle("/", { headers: { cookie } }))
      .text();
    assertEquals(html.includes("KMS IN OPEN MODE"), false);
  } finally {
    await site.monitor.close();
  }
});

Deno.test("a login body beyond 4 KiB is not read, and no session comes of it", async () => {
  const site = testSite(new FakeKms());
  const response = await site.handle("/login", {
    method: "POST",
    headers: { origin: TEST_ORIGIN },
    body: new URLSearchParams({
      operator: TEST_OPERATOR.device_id,
      token: TEST_OPERATOR.token,
      padding: "x".repeat(5000),
    }),
  });
  assertEquals(response.status, 401);
  assertEquals(response.headers.get("set-cookie"), null);
  await response.body?.cancel();
});

Deno.test("after 5 failed logins a host gets 429 with Retry-After, even with the right token, and no cookie", async () => {
  const site = testSite(new FakeKms());
  for (let i = 0; i < 5; i++) {
    const wrong = await site.postLogin("Operator", "wrong-token-0123456789");
    assertEquals(wrong.status, 401, `attempt ${i + 1}`);
    await wrong.body?.cancel();
  }
  const locked = await site.postLogin(
    TEST_OPERATOR.device_id,
    TEST_OPERATOR.token,
  );
  assertEquals(locked.status, 429);
  assertEquals(locked.headers.get("retry-after"), "60");
  assertEquals(locked.headers.get("set-cookie"), null);
  assertStringIncludes(
    await locked.text(),
    "Too many failed logins from this address: try again in 60 s.",
  );
});
